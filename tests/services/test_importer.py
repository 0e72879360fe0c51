"""Stack Exchange importer: the real quantumcomputing dump, reruns, broken dumps, and the parsers."""
import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.jobs import queue
from community.models import AcceptedAnswer, Category, ExternalRef, Post, Tag, Thread, ThreadState, User, thread_tags
from community.services.importer import html_to_markdown, parse_tags
from tests.conftest import shared_data

SOURCE = "stackexchange:quantumcomputing"


@pytest.fixture
def no_search_drain(monkeypatch):
    # Indexing has its own tests; here it would triple the time of a 612-thread import.
    monkeypatch.setattr(queue, "enqueue", lambda task, *args: None)


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _import(app, *args):
    return app.test_cli_runner().invoke(args=["community", "import-stackexchange", *map(str, args)])


def test_quantumcomputing_dump_imports_completely_and_only_once(app, no_search_drain):
    dump = shared_data("stackexchange/quantumcomputing/Posts.xml").parent
    result = _import(app, dump)
    assert result.exit_code == 0, result.output
    assert "612 threads, 1060 answers, 3413 comments" in result.output

    category = db.session.scalar(select(Category).where(Category.slug == "quantumcomputing"))
    assert _count(select(Thread).where(Thread.category_id == category.id)) == 612
    assert _count(select(Post)) == 612 + 1060 + 3413
    assert (category.thread_count, category.post_count) == (612, 612 + 1060 + 3413)
    refs = dict(db.session.execute(
        select(ExternalRef.kind, func.count()).where(ExternalRef.source == SOURCE).group_by(ExternalRef.kind)
    ).all())
    assert refs == {"question": 612, "answer": 1060, "comment": 3413, "user": 405, "accepted_answer": 389}
    # Each AcceptedAnswerId became the thread's accepted answer, and the thread is solved.
    assert _count(select(AcceptedAnswer)) == 389
    assert _count(select(Thread).where(Thread.state == ThreadState.solved, Thread.solved_at.is_not(None))) == 389

    # Question 1 ("Can a Turing machine simulate a quantum computer?") accepted answer 18.
    refs_of = lambda kind: dict(db.session.execute(  # noqa: E731
        select(ExternalRef.external_id, ExternalRef.local_id).where(ExternalRef.source == SOURCE, ExternalRef.kind == kind)
    ).all())
    thread = db.session.get(Thread, refs_of("question")["1"])
    assert thread.title == "Can a Turing machine simulate a quantum computer?"
    assert [tag.name for tag in thread.tags] == ["quantum-turing-machine", "simulation"]
    assert refs_of("accepted_answer")["1"] == refs_of("answer")["18"]
    assert db.session.scalar(select(AcceptedAnswer.post_id).where(AcceptedAnswer.thread_id == thread.id)) == refs_of("answer")["18"]
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == thread.id).order_by(Post.position)))
    assert [p.position for p in posts] == list(range(1, len(posts) + 1))
    assert [p.created_at for p in posts] == sorted(p.created_at for p in posts)
    assert thread.reply_count == len(posts) - 1 and thread.last_post_id == posts[-1].id
    assert thread.first_reply_at == posts[1].created_at and thread.last_activity_at == posts[-1].created_at
    assert 'href="https://en.wikipedia.org/wiki/Turing_machine"' in posts[0].body_html
    assert "[Turing machine](https://en.wikipedia.org/wiki/Turing_machine)" in posts[0].body_markdown

    comment = db.session.get(Post, refs_of("comment")["7"])  # a comment on question 3
    assert comment.reply_to_post_id == db.session.scalar(
        select(Post.id).where(Post.thread_id == refs_of("question")["3"], Post.position == 1)
    )
    assert f'href="/p/{comment.reply_to_post_id}"' in comment.body_html
    assert "Please add your research efforts" in comment.body_html

    author = db.session.get(User, thread.author_id)
    assert author.email.endswith("@import.invalid") and author.password_hash is None
    assert not author.email_verified
    assert _count(select(Post).where(Post.body_html.ilike("%<script%"))) == 0
    assert _count(select(Post).where(Post.body_html.ilike("%onerror=%"))) == 0

    counts = (_count(select(Thread)), _count(select(Post)), _count(select(User)), _count(select(Tag)),
              _count(select(thread_tags)), _count(select(ExternalRef)), _count(select(AcceptedAnswer)))
    again = _import(app, dump)
    assert again.exit_code == 0, again.output
    assert "0 threads, 0 answers, 0 comments, 0 users" in again.output
    assert (_count(select(Thread)), _count(select(Post)), _count(select(User)), _count(select(Tag)),
            _count(select(thread_tags)), _count(select(ExternalRef)), _count(select(AcceptedAnswer))) == counts


POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="10" PostTypeId="1" AcceptedAnswerId="11" CreationDate="2020-01-01T10:00:00.000" ViewCount="7"
       Body="&lt;p&gt;How do I &lt;b&gt;rotate&lt;/b&gt; keys?&lt;script&gt;alert(1)&lt;/script&gt;&lt;/p&gt;"
       OwnerUserId="5" Title="Rotating keys" Tags="|security|api-keys|" />
  <row Id="11" PostTypeId="2" ParentId="10" CreationDate="2020-01-01T11:00:00.000"
       Body="&lt;p&gt;Use the console.&lt;/p&gt;&lt;img src=x onerror=alert(1)&gt;" OwnerDisplayName="Old Timer" />
  {extra}
</posts>
"""
COMMENTS = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="11" Text="Thanks, that **worked**" CreationDate="2020-01-01T12:00:00.000" UserId="5" />
</comments>
"""
LATE_ANSWER = ('<row Id="12" PostTypeId="2" ParentId="10" CreationDate="2020-01-02T09:00:00.000" '
               'Body="&lt;p&gt;Or the API.&lt;/p&gt;" OwnerUserId="6" />')


def _write_dump(folder, extra=""):
    folder.mkdir(exist_ok=True)
    (folder / "Posts.xml").write_text(POSTS.replace("{extra}", extra))
    (folder / "Comments.xml").write_text(COMMENTS)
    return folder


def test_rerun_on_a_newer_dump_adds_only_the_new_posts(app, tmp_path, make_category, no_search_drain):
    target = make_category(name="Security")
    dump = _write_dump(tmp_path / "acme")
    assert _import(app, dump, "--category", target.slug).exit_code == 0
    thread = db.session.scalar(select(Thread))
    assert [t.name for t in thread.tags] == ["api-keys", "security"]
    assert thread.view_count == 7 and thread.reply_count == 2
    body = db.session.scalar(select(Post.body_html).where(Post.position == 2))
    assert "onerror" not in body and "Use the console." in body
    assert "<script" not in db.session.scalar(select(Post.body_html).where(Post.position == 1))
    assert db.session.scalar(select(User.display_name).join(Post, Post.author_id == User.id).where(Post.position == 2)) == "Old Timer"

    _write_dump(tmp_path / "acme", extra=LATE_ANSWER)
    result = _import(app, dump, "--category", target.slug)
    assert "0 threads, 1 answers, 0 comments, 1 users" in result.output
    db.session.expire_all()
    newest = db.session.scalar(select(Post).order_by(Post.position.desc()))
    assert newest.position == 4 and "Or the API." in newest.body_html
    assert (thread.reply_count, thread.last_post_id) == (3, newest.id)
    assert (target.thread_count, target.post_count) == (1, 4)


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, "Posts.xml is missing"),
        ({"Posts.xml": "<posts><row Id='1' PostTypeId='1'"}, "not well-formed XML"),
        ({"Posts.xml": POSTS.replace("{extra}", ""), "Comments.xml": "<comments><row></comments>"}, "Comments.xml is not well-formed"),
    ],
)
def test_broken_dump_fails_clearly_and_writes_nothing(app, tmp_path, files, message):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    result = _import(app, folder)
    assert result.exit_code != 0
    assert message in result.output
    assert _count(select(Thread)) == 0 and _count(select(User)) == 0 and _count(select(Category)) == 0


def test_unknown_target_category_is_refused(app, tmp_path):
    result = _import(app, _write_dump(tmp_path / "acme"), "--category", "nope")
    assert result.exit_code != 0 and "no category with the slug" in result.output
    assert _count(select(Thread)) == 0


@pytest.mark.backends("sqlite")
def test_tag_formats():
    assert parse_tags("<simulation><quantum-gate>") == ["simulation", "quantum-gate"]
    assert parse_tags("|Simulation|q#|") == ["simulation", "q#"]
    assert parse_tags("") == [] and parse_tags(None) == []


@pytest.mark.backends("sqlite")
def test_html_becomes_readable_markdown():
    html = (
        "<h2>Setup</h2><p>Run <code>make</code> and <strong>wait</strong>.<br>Then <em>see</em> "
        '<a href="https://x.example">docs</a>.</p><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>'
        "<blockquote><p>quoted line</p></blockquote><pre><code>a  = 1\nb = 2</code></pre>"
    )
    assert html_to_markdown(html) == (
        "## Setup\n\nRun `make` and **wait**.\nThen *see* [docs](https://x.example).\n\n- one\n- two\n\n"
        "1. first\n\n> quoted line\n\n```\na  = 1\nb = 2\n```"
    )
