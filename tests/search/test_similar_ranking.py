"""Similar questions on both backends: a rephrased duplicate is found, filler words find nothing,
and the re-ranking never brings back what the reader may not see."""
from __future__ import annotations

from community.models import Role, Visibility
from community.search import backend as search_backend_in_use
from community.search.similar import Candidate, rerank
from community.search import queries as search_service

DISTRACTORS = [
    ("Change the email address on my account", "Where do I change the address my account email goes to?"),
    ("Reset the dashboard layout to defaults", "I moved the widgets around and want the default layout back."),
    ("Password rules for new accounts", "How long must a password be when signing up?"),
    ("Email digest arrives twice a day", "The daily digest email comes twice since last week."),
    ("Invoice email shows the wrong company name", "Our invoices are emailed with an old company name."),
    ("Two-factor codes rejected after a phone change", "My authenticator codes stopped working on the new phone."),
    ("Export all threads as CSV", "Is there a way to export every thread I wrote?"),
]


def _titles(items) -> list[str]:
    return [item.thread.title for item in items]


def _backend_similar(title: str, body: str) -> list[int]:
    """What the backend itself returns to an anonymous reader, before the service checks each
    thread again: the access filter must already hold here."""
    return [hit.thread_id for hit in search_backend_in_use().similar(title, body, search_service.access_for(None), 5)]


def test_words_kept_whole_by_the_index_still_find_their_thread(make_thread, search_backend):
    for title, body in DISTRACTORS:
        make_thread(title=title, body=body)
    dotted = make_thread(title="node.js crashes when max_connections is reached", body="Since v2.3 it falls over.")
    assert _backend_similar("max_connections reached: node.js falls over", "")[:1] == [dotted.id]


def test_a_duplicate_asked_in_other_words_is_the_first_suggestion(make_thread, search_backend):
    for title, body in DISTRACTORS:
        make_thread(title=title, body=body)
    duplicate = make_thread(
        title="Password reset link never arrives",
        body="I asked for a password reset several times but the link never reaches my inbox, not even spam.",
    )
    items = search_service.similar(
        None, "Forgot password, the reset email does not come",
        "I clicked forgot password but no reset link arrives in my inbox or spam folder.",
    )
    assert [item.thread.id for item in items][:1] == [duplicate.id]
    assert len(items) <= 5


def test_question_filler_alone_suggests_nothing(make_thread, search_backend):
    make_thread(title="How do I do this?", body="What does it do when I have it?")
    make_thread(title="Which one is it", body="Who was it that had been doing this?")
    assert search_service.similar(None, "How do I do this?", "What does it do?") == []


def test_hidden_near_duplicates_are_never_suggested_to_an_anonymous_reader(
    make_user, make_category, make_thread, search_backend
):
    title, body = "Printer queue stuck after driver update", "Jobs stay queued after the driver update."
    public = make_thread(title="Print jobs stay queued since the driver update", body=body)
    staff_only = make_thread(title=title, body=body, category=make_category(visibility=Visibility.staff))
    members = make_thread(title=title, body=body, category=make_category(visibility=Visibility.members))
    private = make_thread(title=title, body=body, is_private=True)

    assert [item.thread.id for item in search_service.similar(None, title, body)] == [public.id]
    assert _backend_similar(title, body) == [public.id]
    staff = {item.thread.id for item in search_service.similar(make_user(role=Role.staff), title, body)}
    assert {public.id, staff_only.id, members.id, private.id} <= staff


def test_a_thread_holding_the_title_words_only_in_its_text_is_suggested_if_readable(make_thread, search_backend):
    for title, body in DISTRACTORS:
        make_thread(title=title, body=body)
    body = "Uploading a spreadsheet bigger than 20 MB freezes the progress bar for good."
    readable = make_thread(title="Sync stalls on large attachments", body=body)
    make_thread(title="Sync stalls on big attachments", body=body, is_private=True)

    items = search_service.similar(None, "Spreadsheet upload freezes", "")
    assert [item.thread.id for item in items] == [readable.id]
    assert _backend_similar("Spreadsheet upload freezes", "") == [readable.id]


def _candidate(key: str, title: str, body: str = "", score: float = 1.0, **flags) -> Candidate:
    return Candidate(key=key, title=title, body=body, engine_score=score, **flags)


def test_rerank_prefers_the_closest_text_over_the_engines_order():
    pool = [
        _candidate("shares-one-word", "Battery icon colours in dark mode", score=3.0),
        _candidate("same-question", "Laptop battery drains overnight while asleep", score=1.0),
        _candidate("unrelated", "Keyboard layout for French users", score=2.0),
    ]
    ranked = rerank("Battery drains while the laptop sleeps overnight", "", pool, 2)
    assert [candidate.key for _score, candidate in ranked] == ["same-question", "shares-one-word"]


def test_rerank_puts_verified_then_solved_first_among_equals_then_the_newest():
    pool = [
        _candidate("open-new", "Wifi drops every hour", last_activity=3.0),
        _candidate("solved", "Wifi drops every hour", solved=True, last_activity=1.0),
        _candidate("open-old", "Wifi drops every hour", last_activity=2.0),
        _candidate("verified", "Wifi drops every hour", verified=True, last_activity=0.0),
    ]
    ranked = rerank("wifi drops hourly", "", pool, 5)
    assert [candidate.key for _score, candidate in ranked] == ["verified", "solved", "open-new", "open-old"]
