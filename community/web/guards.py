"""One blueprint guard: a whole blueprint behind one permission predicate (policies.py).

`bp.before_request(require(policies.can_manage_site, "Only administrators ..."))`: an anonymous
visitor goes to the sign-in page (and back after), a signed-in member without the right gets 403
with the message; the predicate is the same one the services check.
"""
from __future__ import annotations

from typing import Callable

from flask import abort

from ..extensions import login_manager
from .helpers import viewer


def require(predicate: Callable[..., bool], message: str) -> Callable[[], object]:
    def guard():
        user = viewer()
        if user is None:
            return login_manager.unauthorized()
        if not predicate(user):
            abort(403, message)
        return None

    guard.__name__ = f"require_{predicate.__name__}"
    return guard
