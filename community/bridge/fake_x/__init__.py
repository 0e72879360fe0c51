"""A faithful local fake of the X API v2 (the endpoints the bridge uses), for tests and the offline demo.

Shapes, status codes and headers follow the official OpenAPI spec and recorded api.twitter.com
exchanges; rate limits, faults and the reply rules can be driven through /_control/... or FakeState.
"""
from .server import FakeX, create_fake_app
from .state import FakeState

__all__ = ["FakeX", "FakeState", "create_fake_app"]
