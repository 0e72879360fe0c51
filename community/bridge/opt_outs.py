"""Opting an author out of the bridge: by a stop reply (ingest) or by staff (triage).

A module of its own so that triage, which respond builds on, does not import ingest: ingest
enqueues respond's auto-invite job, and the three would otherwise import each other in a ring.
"""
from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import BridgeCase, BridgeOptOut, CaseStatus

NETWORK = "x"


def opt_out_author(author_id: str, username: str = "", reason: str = "staff") -> bool:
    """Record an opt-out and close the author's open cases; the caller commits. False if already out."""
    exists = db.session.scalar(select(BridgeOptOut.id).where(
        BridgeOptOut.network == NETWORK, BridgeOptOut.author_id == author_id))
    if exists is None:
        db.session.add(BridgeOptOut(network=NETWORK, author_id=author_id, author_username=username, reason=reason))
    db.session.execute(
        update(BridgeCase)
        .where(BridgeCase.network == NETWORK, BridgeCase.author_id == author_id,
               BridgeCase.status != CaseStatus.opted_out)
        .values(status=CaseStatus.opted_out, version=BridgeCase.version + 1)
    )
    return exists is None
