"""Account commands (create-admin)."""
from __future__ import annotations

from . import community_cli  # noqa: F401
