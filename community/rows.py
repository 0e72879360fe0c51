"""Small database steps several services share."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from .extensions import db


def insert_once(row: object) -> bool:
    """Insert and commit `row`; False when a unique key says a parallel run already inserted it."""
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True
