"""`flask community search ...` commands."""
from __future__ import annotations

import json
import shutil

from community.extensions import db
from community.models import Role, Visibility
from community.search import backend as current_backend


def run(app, *args):
    return app.test_cli_runner().invoke(args=["community", "search", *args])


def test_query_and_similar_print_json_as_anonymous_or_as_a_user(app, make_user, make_category, make_thread, search_backend):
    public = make_thread(title="Router firmware update", body="How do I update?")
    hidden = make_thread(title="Router staff notes", category=make_category(visibility=Visibility.staff))
    staff = make_user(role=Role.staff, email="boss@example.com")

    result = run(app, "query", "router", "--json")
    payload = json.loads(result.output)
    assert result.exit_code == 0
    assert [row["id"] for row in payload["results"]] == [public.id]
    assert payload["total"] == 1 and payload["results"][0]["url"].endswith(f"/t/{public.id}-router-firmware-update")

    payload = json.loads(run(app, "query", "router", "--as", staff.email, "--json").output)
    assert {row["id"] for row in payload["results"]} == {public.id, hidden.id}

    payload = json.loads(run(app, "similar", "How to update router firmware", "--json").output)
    assert [row["id"] for row in payload["results"]] == [public.id]
    assert payload["results"][0]["score"] > 0

    result = run(app, "query", "router", "--as", "nobody@example.com")
    assert result.exit_code != 0 and "No user with email" in result.output


def test_check_reports_missing_and_stale_then_reindex_fixes_it(app, make_thread, search_backend):
    kept = make_thread(title="Kept thread")
    lost = make_thread(title="Lost thread")
    current_backend().delete([lost.id])
    db.session.commit()
    from sqlalchemy import update

    from community.models import Thread

    # Change a title behind the listeners' back (a Core statement on the raw connection, which no
    # ORM event sees), so the index goes stale.
    db.session.connection().execute(update(Thread.__table__).where(Thread.id == kept.id).values(title="Renamed quietly"))
    db.session.commit()
    db.session.expire_all()  # the session kept the old title; the check must read the new one

    result = run(app, "check")
    assert result.exit_code == 1
    assert f"missing: 1 ({lost.id})" in result.output and f"stale: 1 ({kept.id})" in result.output

    result = run(app, "reindex")
    assert result.exit_code == 0, result.output
    assert "Indexed 2 threads" in result.output
    result = run(app, "check")
    assert result.exit_code == 0 and "Index is up to date." in result.output
    payload = json.loads(run(app, "query", "quietly", "--json").output)
    assert [row["id"] for row in payload["results"]] == [kept.id]


def test_search_keeps_working_during_a_rebuild(app, make_thread, search_backend):
    """The rebuild writes aside; searches in the middle of it still answer from the old index."""
    from community.search import queries as search_service
    from community.search import upkeep as search_upkeep

    thread = make_thread(title="Served during rebuild")
    seen = []

    def progress(_n):
        seen.append([i.thread.id for i in search_service.search(None, "served").items])

    search_upkeep.rebuild_index(progress=progress)
    assert seen and all(ids == [thread.id] for ids in seen)
    assert [i.thread.id for i in search_service.search(None, "served").items] == [thread.id]


def test_postgres_backend_on_sqlite_gives_a_clear_error(tmp_path):
    import pytest

    from community import create_app
    from community.search import SearchConfigError

    with pytest.raises(SearchConfigError, match="needs a PostgreSQL"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "INSTANCE_PATH": str(tmp_path),
                    "SEARCH_BACKEND": "postgres", "SECRET_KEY": "x"})
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_drain_and_purge_commands(app, make_thread, search_backend):
    from community.models import SearchOutbox

    thread = make_thread(title="Outbox via the command line")
    db.session.add(SearchOutbox(thread_id=thread.id))
    db.session.commit()
    result = run(app, "drain")
    assert result.exit_code == 0 and "Indexed 1 threads from the outbox." in result.output
    assert run(app, "purge").output.strip() == "Search events purged."
