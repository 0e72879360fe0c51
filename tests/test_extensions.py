"""PostgreSQL sessions of GET and HEAD requests read in autocommit and write in a transaction
(community/extensions.py): no BEGIN and ROLLBACK around a page's reads, and a write, a
SAVEPOINT or a locking read still all-or-nothing."""
from __future__ import annotations

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.models import Tag

pytestmark = pytest.mark.backends("postgres")


def _dbapi_connection():
    return db.session.connection().connection.dbapi_connection


def _request(app, method: str):
    """A request with its own app context, so its session is made for this request."""
    from contextlib import ExitStack

    stack = ExitStack()
    stack.enter_context(app.app_context())
    stack.enter_context(app.test_request_context("/", method=method))
    return stack


def test_a_get_reads_outside_a_transaction(app):
    with _request(app, "GET"):
        db.session.execute(select(1)).all()
        connection = _dbapi_connection()
        assert connection.autocommit and connection.info.transaction_status == TransactionStatus.IDLE
        db.session.remove()


def test_a_write_in_a_get_is_still_all_or_nothing(app):
    with _request(app, "GET"):
        db.session.execute(select(Tag.id)).all()
        db.session.add_all([Tag(name="printer"), Tag(name="wifi")])
        db.session.flush()
        assert _dbapi_connection().info.transaction_status == TransactionStatus.INTRANS
        db.session.add(Tag(name="printer"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count(Tag.id))) == 0
        db.session.add(Tag(name="billing"))
        db.session.commit()
        db.session.remove()
    assert db.session.scalars(select(Tag.name)).all() == ["billing"]


def test_a_locking_read_in_a_get_opens_a_transaction(app):
    with _request(app, "GET"):
        db.session.execute(text("SELECT 1 FOR UPDATE")).all()
        assert _dbapi_connection().info.transaction_status == TransactionStatus.INTRANS
        db.session.remove()


def test_a_post_after_a_get_on_the_same_pooled_connection_runs_in_a_transaction(app):
    with _request(app, "GET"):
        db.session.execute(select(1)).all()
        reused = _dbapi_connection()
        db.session.remove()
    with _request(app, "POST"):
        db.session.execute(select(1)).all()
        connection = _dbapi_connection()
        assert connection is reused
        assert not connection.autocommit and connection.info.transaction_status == TransactionStatus.INTRANS
        db.session.remove()


def test_a_streamed_read_in_a_get_runs_in_a_transaction_of_its_own(app):
    # A server-side cursor lives in a transaction; BEGIN goes on the connection, not inside DECLARE.
    db.session.add_all([Tag(name="printer"), Tag(name="wifi")])
    db.session.commit()
    with _request(app, "GET"):
        names = db.session.scalars(select(Tag.name).order_by(Tag.name).execution_options(yield_per=1)).all()
        assert names == ["printer", "wifi"]
        db.session.remove()
