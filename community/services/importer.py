"""Stack Exchange data-dump importer: questions become threads, answers and comments replies.

Idempotent through ExternalRef rows (source "stackexchange:<site>"): each imported row gets its
ref in the same transaction, so a rerun (after a crash between batches, or on a newer dump) skips
what is there and adds only what is new. Bodies are sanitized on the way in.
"""
from __future__ import annotations

import contextlib
import hashlib
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Optional, Protocol

from sqlalchemy import func, select, update

from ..content.markdown import render_markdown
from ..content.sanitize import sanitize_html
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import AcceptedAnswer, Category, ExternalRef, Post, Role, Tag, Thread, ThreadState, User, Visibility
from .categories import recount_categories, recount_threads, slugify

QUESTION, ANSWER = "1", "2"
BATCH_SIZE = 100
TAG_MAX = 50
TITLE_MAX = 300
# Comments link to the post they belong to; /p/<id> is the forum's permalink route.
POST_PERMALINK = "/p/{id}"


class ProgressBar(Protocol):
    def update(self, n_steps: int) -> None: ...


Progress = Callable[[int, str], ContextManager[ProgressBar]]


class _NoBar:
    def update(self, n_steps: int) -> None:
        pass


@contextlib.contextmanager
def _no_progress(_total: int, _label: str) -> Iterator[ProgressBar]:
    yield _NoBar()


@dataclass
class ImportResult:
    site: str
    category_slug: str
    threads: int = 0
    answers: int = 0
    comments: int = 0
    users: int = 0
    accepted_answers: int = 0


# --- reading the dump ------------------------------------------------------------------------------


@dataclass
class Dump:
    site: str
    questions: list[dict[str, str]]
    answers_by_question: dict[str, list[dict[str, str]]]
    comments_by_post: dict[str, list[dict[str, str]]]


def load_dump(directory: Path) -> Dump:
    """Parse every file before touching the database, so a broken dump writes nothing."""
    if not directory.is_dir():
        raise NotFound(f"{directory} is not a folder.")
    posts_file = directory / "Posts.xml"
    if not posts_file.is_file():
        raise NotFound(f"{posts_file} is missing: a Stack Exchange dump needs Posts.xml.")
    posts = _rows(posts_file)
    comments_file = directory / "Comments.xml"
    comments = _rows(comments_file) if comments_file.is_file() else []
    questions = [row for row in posts if row.get("PostTypeId") == QUESTION]
    question_ids = {row["Id"] for row in questions}
    answers_by_question: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in posts:
        if row.get("PostTypeId") == ANSWER and row.get("ParentId") in question_ids:
            answers_by_question[row["ParentId"]].append(row)
    comments_by_post: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in comments:
        comments_by_post[row.get("PostId", "")].append(row)
    return Dump(directory.resolve().name, questions, answers_by_question, comments_by_post)


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise ValidationFailed(f"{path.name} is not well-formed XML ({error}).") from error
    rows = [dict(row.attrib) for row in root.iter("row")]
    missing = next((row for row in rows if not row.get("Id") or not row.get("CreationDate")), None)
    if missing is not None:
        raise ValidationFailed(f"{path.name} has a row without Id or CreationDate: {missing}")
    return rows


def parse_tags(raw: str | None) -> list[str]:
    """'<a><b>' (older dumps) or '|a|b|' (newer ones) to ['a', 'b']."""
    if not raw:
        return []
    names = re.findall(r"<([^<>]+)>", raw) if raw.startswith("<") else raw.split("|")
    return list(dict.fromkeys(name.strip().lower()[:TAG_MAX] for name in names if name.strip()))


def _when(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
    except ValueError as error:
        raise ValidationFailed(f"Unreadable CreationDate {raw!r}.") from error


# --- the import ----------------------------------------------------------------------------------


def import_stackexchange(
    directory: str | Path, category_slug: Optional[str] = None, progress: Progress = _no_progress
) -> ImportResult:
    dump = load_dump(Path(directory))
    category = _target_category(category_slug, dump.site)
    run = _ImportRun(dump, category)
    try:
        run.users()
        with progress(len(dump.questions), f"Importing {dump.site}") as bar:
            for start in range(0, len(dump.questions), BATCH_SIZE):
                batch = dump.questions[start:start + BATCH_SIZE]
                run.batch(batch)
                db.session.commit()
                bar.update(len(batch))
        run.finish()
    except Exception:
        db.session.rollback()
        raise
    return run.result


def _target_category(slug: Optional[str], site: str) -> Category:
    if slug:
        category = db.session.scalar(select(Category).where(Category.slug == slug, Category.deleted_at.is_(None)))
        if category is None:
            raise NotFound(f"There is no category with the slug “{slug}”.")
        return category
    site_slug = slugify(site) or "imported"
    category = db.session.scalar(select(Category).where(Category.slug == site_slug))
    if category is None:
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        category = Category(
            name=site.replace("-", " ").title()[:80], slug=site_slug, visibility=Visibility.public,
            description=f"Imported from {site}.stackexchange.com", position=position,
        )
        db.session.add(category)
        db.session.commit()
    return category


@dataclass
class _ImportRun:
    dump: Dump
    category: Category
    source: str = ""
    refs: dict[str, dict[str, int]] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    user_names: dict[str, str] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    touched_threads: set[int] = field(default_factory=set)
    _pending_refs: list[tuple[str, str, Post]] = field(default_factory=list)
    result: ImportResult = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.source = f"stackexchange:{self.dump.site}"
        self.result = ImportResult(self.dump.site, self.category.slug)
        for kind, external_id, local_id in db.session.execute(
            select(ExternalRef.kind, ExternalRef.external_id, ExternalRef.local_id).where(
                ExternalRef.source == self.source
            )
        ):
            self.refs.setdefault(kind, {})[external_id] = local_id
        self.tags = {tag.name: tag for tag in db.session.scalars(select(Tag))}

    def _ref(self, kind: str, external_id: str, local_id: int) -> None:
        db.session.add(ExternalRef(source=self.source, kind=kind, external_id=external_id, local_id=local_id))
        self.refs.setdefault(kind, {})[external_id] = local_id

    def _known(self, kind: str, external_id: str) -> Optional[int]:
        return self.refs.get(kind, {}).get(external_id)

    # users

    def users(self) -> None:
        """Create every author up front (there is no Users.xml: ids and display names only)."""
        wanted: dict[str, str] = {}
        for row in self._all_rows():
            key, name = _user_key(row)
            if name or key not in wanted:
                wanted[key] = name or wanted.get(key) or _fallback_name(key)
        self.user_names = wanted
        new = {key: name for key, name in wanted.items() if self._known("user", key) is None}
        created = {key: self._new_user(key, name) for key, name in new.items()}
        db.session.flush()
        for key, user in created.items():
            self._ref("user", key, user.id)
        self.user_ids = dict(self.refs.get("user", {}))
        self.result.users = len(created)
        db.session.commit()

    def _all_rows(self) -> Iterator[dict[str, str]]:
        for question in self.dump.questions:
            yield question
            yield from self.dump.answers_by_question.get(question["Id"], [])
        for comments in self.dump.comments_by_post.values():
            yield from comments

    def _new_user(self, key: str, name: str) -> User:
        username = f"se-{slugify(self.dump.site, 20)}-{_key_suffix(key)}"
        user = User(
            email=f"{username}@import.invalid", email_normalized=f"{username}@import.invalid",
            username=username, display_name=name[:80], password_hash=None, role=Role.customer,
        )
        db.session.add(user)
        return user

    def _author(self, row: dict[str, str]) -> int:
        return self.user_ids[_user_key(row)[0]]

    # threads and replies, a batch of questions at a time (three flushes a batch, not three a post)

    def batch(self, questions: list[dict[str, str]]) -> None:
        new_threads = {row["Id"]: self._new_thread(row) for row in questions if self._known("question", row["Id"]) is None}
        db.session.flush()
        posts: dict[str, Post] = {}
        comments: list[tuple[Post, dict[str, str], str]] = []
        for row in questions:
            thread = new_threads.get(row["Id"])
            if thread is not None:
                posts[row["Id"]] = self._html_post(thread.id, 1, row)
                self._ref("question", row["Id"], thread.id)
                self.touched_threads.add(thread.id)
            thread_id = thread.id if thread is not None else self._known("question", row["Id"])
            comments += self._add_replies(thread_id, row["Id"], posts, first_position=2 if thread else None)
        # Ids first, so comments can link to answers whatever order the dump has them in.
        db.session.flush()
        for kind, external_id, post in self._pending_refs:
            self._ref(kind, external_id, post.id)
        self._pending_refs.clear()
        for post, row, question_id in comments:
            self._fill_comment(post, row, posts, question_id)
        for row in questions:
            self._accepted_answer(row)

    def _new_thread(self, row: dict[str, str]) -> Thread:
        created = _when(row["CreationDate"])
        title = (row.get("Title") or "Untitled question").strip()[:TITLE_MAX]
        thread = Thread(
            category_id=self.category.id, author_id=self._author(row), title=title,
            slug=slugify(title) or "thread", created_at=created, last_activity_at=created,
            view_count=int(row.get("ViewCount") or 0), tags=[self._tag(name) for name in parse_tags(row.get("Tags"))],
        )
        db.session.add(thread)
        self.result.threads += 1
        return thread

    def _tag(self, name: str) -> Tag:
        if name not in self.tags:
            self.tags[name] = Tag(name=name)
        return self.tags[name]

    def _html_post(self, thread_id: int, position: int, row: dict[str, str]) -> Post:
        body = row.get("Body") or ""
        post = Post(
            thread_id=thread_id, author_id=self._author(row), position=position,
            body_markdown=html_to_markdown(body), body_html=sanitize_html(body),
            created_at=_when(row["CreationDate"]),
        )
        db.session.add(post)
        return post

    def _new_replies(self, question_id: str) -> list[tuple[str, dict[str, str]]]:
        """(kind, row) for answers and comments not imported yet, in CreationDate order."""
        answers = self.dump.answers_by_question.get(question_id, [])
        replies = [("answer", row) for row in answers]
        for post_id in [question_id, *(answer["Id"] for answer in answers)]:
            replies += [("comment", row) for row in self.dump.comments_by_post.get(post_id, [])]
        fresh = [(kind, row) for kind, row in replies if self._known(kind, row["Id"]) is None]
        return sorted(fresh, key=lambda item: (item[1]["CreationDate"], item[0] == "comment", int(item[1]["Id"])))

    def _add_replies(self, thread_id: int, question_id: str, posts: dict[str, Post], first_position: int | None):
        """Add the new answers (to `posts`) and comment shells; return the shells to fill after a flush."""
        replies = self._new_replies(question_id)
        if not replies:
            return []
        self.touched_threads.add(thread_id)
        position = first_position or self._next_position(thread_id)
        comments = []
        for offset, (kind, row) in enumerate(replies):
            if kind == "answer":
                post = posts[row["Id"]] = self._html_post(thread_id, position + offset, row)
            else:
                post = Post(
                    thread_id=thread_id, author_id=self._author(row), position=position + offset,
                    body_markdown="", body_html="", created_at=_when(row["CreationDate"]),
                )
                db.session.add(post)
                comments.append((post, row, question_id))
            self._pending_refs.append((kind, row["Id"], post))
            setattr(self.result, f"{kind}s", getattr(self.result, f"{kind}s") + 1)
        return comments

    def _next_position(self, thread_id: int) -> int:
        return (db.session.scalar(select(func.max(Post.position)).where(Post.thread_id == thread_id)) or 0) + 1

    def _fill_comment(self, post: Post, row: dict[str, str], posts: dict[str, Post], question_id: str) -> None:
        target = self._post_id(row["PostId"], posts, question_id)
        post.reply_to_post_id = target
        label = "the question" if row["PostId"] == question_id else "an answer"
        intro = f"*Comment on [{label}]({POST_PERMALINK.format(id=target)}):*\n\n" if target else ""
        post.body_markdown = intro + (row.get("Text") or "")
        post.body_html = render_markdown(post.body_markdown)

    def _post_id(self, external_id: str, posts: dict[str, Post], question_id: str) -> Optional[int]:
        """Our id of a question's opening post or an answer, imported now or by an earlier run."""
        if external_id in posts:
            return posts[external_id].id
        if external_id != question_id:
            return self._known("answer", external_id)
        thread_id = self._known("question", question_id)
        return db.session.scalar(select(Post.id).where(Post.thread_id == thread_id, Post.position == 1))

    def _accepted_answer(self, question: dict[str, str]) -> None:
        accepted = question.get("AcceptedAnswerId")
        answer_post = self._known("answer", accepted) if accepted else None
        if answer_post is not None and self._known("accepted_answer", question["Id"]) is None:
            self._ref("accepted_answer", question["Id"], answer_post)
            self._mark_accepted(self._known("question", question["Id"]), answer_post)
            self.result.accepted_answers += 1

    def _mark_accepted(self, thread_id: int, post_id: int) -> None:
        """The asker's accepted answer, dated when the answer was written (the dump has no accept time)."""
        answered_at = db.session.scalar(select(Post.created_at).where(Post.id == post_id))
        asker_id = db.session.scalar(select(Thread.author_id).where(Thread.id == thread_id))
        db.session.add(AcceptedAnswer(thread_id=thread_id, post_id=post_id, accepted_by_id=asker_id, accepted_at=answered_at))
        db.session.execute(
            update(Thread).where(Thread.id == thread_id).values(state=ThreadState.solved, solved_at=answered_at)
        )

    def finish(self) -> None:
        if self.touched_threads:
            recount_threads(self.touched_threads)
            category_ids = set(
                db.session.scalars(select(Thread.category_id).where(Thread.id.in_(self.touched_threads)).distinct())
            )
            recount_categories(category_ids | {self.category.id})
        db.session.commit()


def _user_key(row: dict[str, str]) -> tuple[str, str]:
    """(external id, display name) of a row's author: a user id, else a name, else anonymous."""
    user_id = row.get("OwnerUserId") or row.get("UserId")
    name = (row.get("OwnerDisplayName") or row.get("UserDisplayName") or "").strip()
    if user_id:
        return user_id, name
    if name:
        return f"name:{name}", name
    return "anonymous", ""


def _fallback_name(key: str) -> str:
    # Stack Exchange shows users without a profile name as "user<id>".
    return "Anonymous" if key == "anonymous" else f"user{key}"


def _key_suffix(key: str) -> str:
    if key.isdigit() or key.lstrip("-").isdigit():
        return key
    return "n" + hashlib.sha1(key.encode()).hexdigest()[:10]


# --- HTML to readable Markdown -------------------------------------------------------------------


class _MarkdownWriter(HTMLParser):
    """Turns Stack Exchange's HTML into Markdown close enough to edit and re-render."""

    BLOCKS = {"p", "div", "table", "tr"}
    INLINE = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[list[str]] = [[]]
        self.lists: list[list[int | None]] = []
        self.in_pre = 0
        self.links: list[str] = []

    @property
    def out(self) -> list[str]:
        return self.stack[-1]

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in self.BLOCKS or tag in {"ul", "ol"} and not self.lists:
            self.out.append("\n\n")
        if tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "hr":
            self.out.append("\n\n---\n\n")
        elif tag == "pre":
            self.in_pre += 1
            self.out.append("\n\n```\n")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "a":
            self.links.append(attributes.get("href") or "")
            self.out.append("[")
        elif tag == "img":
            self.out.append(f"![{attributes.get('alt') or ''}]({attributes.get('src') or ''})")
        elif tag in {"ul", "ol"}:
            self.lists.append([0 if tag == "ol" else None])
        elif tag == "li":
            self._list_item()
        elif tag == "blockquote":
            self.stack.append([])

    def _list_item(self) -> None:
        counter = self.lists[-1] if self.lists else [None]
        indent = "  " * max(0, len(self.lists) - 1)
        if counter[0] is None:
            self.out.append(f"\n{indent}- ")
        else:
            counter[0] += 1
            self.out.append(f"\n{indent}{counter[0]}. ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.INLINE:
            self.out.append(self.INLINE[tag])
        elif tag in self.BLOCKS or tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.out.append("\n\n")
        elif tag == "pre":
            self.in_pre = max(0, self.in_pre - 1)
            self.out.append("\n```\n\n")
        elif tag == "code" and not self.in_pre:
            self.out.append("`")
        elif tag == "a":
            self.out.append(f"]({self.links.pop() if self.links else ''})")
        elif tag in {"ul", "ol"} and self.lists:
            self.lists.pop()
            self.out.append("\n\n")
        elif tag == "blockquote" and len(self.stack) > 1:
            quoted = _tidy("".join(self.stack.pop()))
            self.out.append("\n\n" + "\n".join(f"> {line}".rstrip() for line in quoted.split("\n")) + "\n\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data if self.in_pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        while len(self.stack) > 1:
            inner = self.stack.pop()
            self.out.extend(inner)
        return _tidy("".join(self.out))


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_markdown(html: str) -> str:
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    return writer.text()
