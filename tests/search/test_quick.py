"""/search/quick, the header's results as you type: its JSON, who sees what, bad input, the limit."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.models import AcceptedAnswer, Role, ThreadState, Visibility


def _quick(client, q, status=200):
    response = client.get("/search/quick", query_string={"q": q}, headers={"Accept": "application/json"})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_json_shape_prefix_matching_and_the_answer(client, make_thread, make_post, make_category, search_backend):
    billing = make_category(name="Billing")
    thread = make_thread(title="Invoice <b>totals</b> wrong after upgrade", category=billing)
    answer = make_post(thread=thread, body="Clear the cache.")
    db.session.add(AcceptedAnswer(thread_id=thread.id, post_id=answer.id, accepted_by_id=thread.author_id))
    thread.state = ThreadState.solved
    db.session.commit()
    data = _quick(client, "invoi")  # the last word as typed so far
    assert data == {
        "query": "invoi", "corrected": None, "all_url": "/search?q=invoi",
        "results": [{
            "id": thread.id, "title": "Invoice <b>totals</b> wrong after upgrade", "url": f"/t/{thread.id}-{thread.slug}",
            "category": "Billing", "solved": "accepted", "answer_url": f"/t/{thread.id}-{thread.slug}#post-{answer.id}",
            "attachments": 0,
        }],
    }


def test_at_most_six_results_and_no_search_recorded(client, make_thread, search_backend):
    from community.models import SearchEvent

    for n in range(9):
        make_thread(title=f"Router firmware question {n}")
    data = _quick(client, "router firmware")
    assert len(data["results"]) == 6
    assert db.session.query(SearchEvent).count() == 0


@pytest.mark.parametrize("level", ["members", "customers", "staff", "private"])
def test_threads_the_reader_cannot_read_never_appear(client, auth, level, make_thread, make_category, make_user, search_backend):
    visibility = Visibility.public if level == "private" else Visibility(level)
    author = make_user()
    secret = make_thread(title="Quasarflux calibration", author=author, category=make_category(visibility=visibility),
                         is_private=level == "private")
    assert _quick(client, "quasarflux")["results"] == []
    assert _quick(client, "quasarf")["results"] == []  # nor as a word begun (completed from readable words only)
    assert _quick(client, "quasarflx")["results"] == []  # nor through a correction
    auth.sign_in(make_user())
    assert [row["id"] for row in _quick(client, "quasarflux")["results"]] == ([secret.id] if level == "members" else [])
    reader = author if level == "private" else make_user(role=Role.staff)
    auth.sign_in(reader)
    assert [row["id"] for row in _quick(client, "quasarflux")["results"]] == [secret.id]
    # A word begun: completed from the words of the viewer's levels, so an author's own private
    # thread is found by a prefix of its stems only ("quasarf"), not by "calibrat" (stem "calibr").
    begun = "quasarf" if level == "private" else "calibrat"
    assert [row["id"] for row in _quick(client, begun)["results"]] == [secret.id]


def test_a_typo_gives_the_corrected_results(client, make_thread, search_backend):
    thread = make_thread(title="Renew the certificate before it expires")
    data = _quick(client, "certifcate")
    assert data["corrected"] == "certificate" and [row["id"] for row in data["results"]] == [thread.id]


def test_bad_input_is_a_clear_400_never_a_500(client, search_backend):
    assert _quick(client, "x") == {"query": "x", "corrected": None, "results": [], "all_url": "/search?q=x"}
    response = client.get("/search/quick", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["message"] == "Add q, the text to search for."
    data = _quick(client, "a" * 2001, status=400)
    assert data["error"]["code"] == "bad_request" and "2000 characters" in data["error"]["message"]
    for odd in ('"unclosed', "AND OR NOT", "***", "a* b*", "-", "\x00\x01", "(((", "title:x"):
        assert isinstance(_quick(client, odd)["results"], list)



def test_a_last_word_nothing_begins_is_taken_whole(client, make_thread, search_backend):
    # "out" is a stop word and "500" a number: no title word completes them, and the lookup
    # still finds the thread by its other words (Whoosh once fell back to a slow prefix query).
    logs_out = make_thread(title="The app logs out every hour")
    error = make_thread(title="Error 500 when saving the profile")
    assert [row["id"] for row in _quick(client, "logs out")["results"]] == [logs_out.id]
    assert [row["id"] for row in _quick(client, "error 500")["results"]] == [error.id]


def test_a_private_word_begun_is_completed_from_titles_for_its_author(client, auth, make_thread, make_user, search_backend):
    author = make_user()
    own = make_thread(title="Zephyrine gateway settings", author=author, is_private=True)
    auth.sign_in(author)
    assert [row["id"] for row in _quick(client, "zephyr")["results"]] == [own.id]
    auth.sign_in(make_user())
    assert _quick(client, "zephyr")["results"] == []
