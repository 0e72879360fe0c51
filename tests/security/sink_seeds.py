"""Seeding functions of the sink registry: each writes the corpus into its columns, in batches,
and yields what Chromium loads for each batch. Rows go in directly (the fields' own validation is
tested elsewhere; here every vector must reach the renderer, even one the form would refuse)."""
from __future__ import annotations

import html
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Iterator

from sqlalchemy import delete, select, update

from community.content.markdown import render_markdown
from community.extensions import db
from community.models import (
    BridgeCase, BridgePost, Category, Flag, Notification, Post, Role, Tag, Thread, ThreadState, User, Visibility, Widget,
    utcnow,
)
from community.services import branding, mail, notification_emails
from community.services.passwords import hash_password
from tests.mailbox import outbox
from tests.security.sinks import Load

BATCH = 100
SEARCH_WORD = "zqxsink"


@dataclass
class VectorWorld:
    """The corpus as a community: vector i is the title and body of thread i, written by user i
    (display name and bio), and reply i on the carrier threads (BATCH replies each)."""
    app: object
    vectors: list[str]
    staff: User
    category: Category
    users: list[User] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    carriers: list[Thread] = field(default_factory=list)


def _fit(value: str, column) -> str:
    length = getattr(column.type, "length", None)
    return value[:length] if length else value


def _fitted(model, **values):
    """A row with every string cut to its column's length (PostgreSQL refuses longer ones)."""
    columns = model.__table__.c
    return model(**{name: _fit(value, columns[name]) if type(value) is str and name in columns else value
                    for name, value in values.items()})


def build(app, vectors: list[str]) -> VectorWorld:
    staff = _fitted(User, email="xss-staff@example.com", email_normalized="xss-staff@example.com", username="xss_staff",
                 display_name="XSS staff", password_hash=hash_password("x" * 12), role=Role.admin,
                 email_verified_at=utcnow())
    category = _fitted(Category, name="XSS", slug="xss", visibility=Visibility.public, position=0, description="")
    db.session.add_all([staff, category])
    world = VectorWorld(app, vectors, staff, category)
    name_col, title_col = User.__table__.c.display_name, Thread.__table__.c.title
    for n, vector in enumerate(vectors):
        world.users.append(_fitted(
            User,
            email=f"v{n}@example.com", email_normalized=f"v{n}@example.com", username=f"v{n}",
            display_name=_fit(" ".join(vector.split()) or "x", name_col), password_hash=staff.password_hash,
            role=Role.customer, email_verified_at=utcnow(), bio=vector,
        ))
    db.session.add_all(world.users)
    db.session.flush()
    now = utcnow()
    for n, (vector, author) in enumerate(zip(vectors, world.users)):
        created = now - timedelta(seconds=len(vectors) - n)
        world.threads.append(_fitted(
            Thread,
            category_id=category.id, author_id=author.id, title=_fit(" ".join(vector.split()) or "x", title_col),
            slug=f"v{n}", created_at=created, last_activity_at=created,
        ))
    for start in range(0, len(vectors), BATCH):
        world.carriers.append(_fitted(Thread, category_id=category.id, author_id=staff.id, title=f"Carrier {start // BATCH}",
                                     slug="carrier", created_at=now, last_activity_at=now))
    db.session.add_all(world.threads + world.carriers)
    db.session.flush()
    posts = []
    for n, (vector, thread, author) in enumerate(zip(vectors, world.threads, world.users)):
        body = f"{vector}\n\n{SEARCH_WORD}"
        posts.append(Post(thread_id=thread.id, author_id=author.id, position=1, body_markdown=body,
                          body_html=render_markdown(body), created_at=thread.created_at))
    for index, carrier in enumerate(world.carriers):
        posts.append(Post(thread_id=carrier.id, author_id=staff.id, position=1, body_markdown="Vectors follow.",
                          body_html="<p>Vectors follow.</p>", created_at=now))
        chunk = range(index * BATCH, min(len(vectors), (index + 1) * BATCH))
        for position, n in enumerate(chunk, start=2):
            posts.append(Post(thread_id=carrier.id, author_id=world.users[n].id, position=position,
                              body_markdown=vectors[n], body_html=render_markdown(vectors[n]), created_at=now))
        carrier.reply_count = len(chunk)
    db.session.add_all(posts)
    category.thread_count = len(world.threads) + len(world.carriers)
    db.session.commit()
    return world


def _chunks(items: list, size: int = BATCH) -> Iterator[tuple[int, list]]:
    for start in range(0, len(items), size):
        yield start, items[start:start + size]


def thread_titles(world: VectorWorld) -> Iterator[Load]:
    pages = -(-(len(world.threads) + len(world.carriers)) // BATCH)
    for number in range(1, pages + 1):
        yield Load(f"/c/{world.category.slug}?page={number}", BATCH)


def post_bodies(world: VectorWorld) -> Iterator[Load]:
    for carrier in world.carriers:
        yield Load(f"/t/{carrier.id}-carrier", carrier.reply_count)


def search_results(world: VectorWorld) -> Iterator[Load]:
    from community.search.upkeep import rebuild_index

    rebuild_index()
    pages = -(-len(world.threads) // 20)
    for number in range(1, pages + 1):
        yield Load(f"/search?q={SEARCH_WORD}&page={number}", 20)


def profiles(world: VectorWorld) -> Iterator[Load]:
    # Each profile's bio carries as many vectors as fit its column, the display name one more:
    # the names are also all on the carrier threads (post_bodies).
    limit = getattr(User.__table__.c.bio.type, "length", None) or 5000
    start = 0
    while start < len(world.vectors):
        chunk = [world.vectors[start]]
        while start + len(chunk) < len(world.vectors) and len("\n".join(chunk + [world.vectors[start + len(chunk)]])) <= limit:
            chunk.append(world.vectors[start + len(chunk)])
        user = world.users[start]
        user.bio = "\n".join(chunk)[:limit]
        db.session.commit()
        yield Load(f"/u/{user.username}", len(chunk) + 1)
        start += len(chunk)


def notifications(world: VectorWorld) -> Iterator[Load]:
    world.app.config["NOTIFICATIONS_PER_PAGE"] = BATCH
    db.session.add_all(
        Notification(user_id=world.staff.id, kind="reply", thread_id=thread.id, actor_id=thread.author_id,
                     event_key=f"xss-{thread.id}")
        for thread in world.threads
    )
    db.session.commit()
    for number in range(1, -(-len(world.threads) // BATCH) + 1):
        yield Load(f"/notifications?page={number}", BATCH)


def digest_emails(world: VectorWorld) -> Iterator[Load]:
    rows = db.session.scalars(select(Notification).where(Notification.user_id == world.staff.id)
                              .order_by(Notification.id)).all()
    if not rows:
        list(notifications(world))
        rows = db.session.scalars(select(Notification).where(Notification.user_id == world.staff.id)).all()
    for start, chunk in _chunks(rows):
        notification_emails.send_digest_email(world.staff, chunk)
        yield Load(f"/__sink/digest-{start}", len(chunk), _html_part(outbox(world.app)[-1]))
    for row in rows[:BATCH // 4]:
        notification_emails.send_single(world.staff, row)
        yield Load(f"/__sink/notification-{row.id}", 1, _html_part(outbox(world.app)[-1]))


def csat_emails(world: VectorWorld) -> Iterator[Load]:
    links = [(5, "Great", "https://community.example/csat/r/token")]
    for start, chunk in _chunks(world.threads):
        bodies = [
            _html_part(mail.build_message(world.staff.email, "csat", "csat_request",
                                          {"user": db.session.get(User, thread.author_id), "thread": thread,
                                           "links": links}))
            for thread in chunk
        ]
        yield Load(f"/__sink/csat-{start}", len(chunk), "\n".join(bodies))


def _html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def categories(world: VectorWorld) -> Iterator[Load]:
    column = Category.__table__.c.name
    for start, chunk in _chunks(world.vectors):
        db.session.execute(delete(Category).where(Category.slug.like("xss-cat-%")))
        db.session.add_all(_fitted(Category, name=_fit(" ".join(v.split()) or "x", column), slug=f"xss-cat-{start + n}",
                                    visibility=Visibility.public, position=10 + n, description=v)
                           for n, v in enumerate(chunk))
        db.session.commit()
        yield Load("/categories", len(chunk) * 2)


def tag_names(world: VectorWorld) -> Iterator[Load]:
    """Tag names are checked when members make them (community/tags/service.py), but the importer
    and older rows are not: the corpus goes straight into the column, as chips on one carrier."""
    column = Tag.__table__.c.name
    for start, chunk in _chunks(world.vectors):
        # The world's rows come from an earlier session: load this one here to set its tags.
        carrier = db.session.get(Thread, world.carriers[start // BATCH].id)
        names = list(dict.fromkeys(_fit(vector, column) or "x" for vector in chunk))
        db.session.execute(delete(Tag))
        carrier.tags = [Tag(name=name) for name in names]
        db.session.commit()
        yield Load(f"/t/{carrier.id}-carrier", len(names))
        yield Load("/latest", len(names))


def search_tag_facets(world: VectorWorld) -> Iterator[Load]:
    """The search page's tag column shows the most frequent tags of the matches, read from the
    index: each batch (as many as the column shows) on one matching thread, reindexed."""
    from community.search.backend import FACET_TAGS
    from community.search.upkeep import reindex_threads

    column = Tag.__table__.c.name
    for number, (start, chunk) in enumerate(_chunks(world.vectors, FACET_TAGS)):
        thread = db.session.get(Thread, world.threads[number % len(world.threads)].id)
        names = list(dict.fromkeys(_fit(vector, column) or "x" for vector in chunk))
        db.session.execute(delete(Tag))
        thread.tags = [Tag(name=name) for name in names]
        db.session.commit()
        reindex_threads([thread.id])
        yield Load(f"/search?q={SEARCH_WORD}", len(names))


def _save_brand(**values) -> None:
    current = branding.get_branding()
    current.update(values)
    branding._save(current)  # noqa: SLF001 (bypasses the form's validation on purpose)
    db.session.commit()


def brand_text(world: VectorWorld) -> Iterator[Load]:
    for start, chunk in _chunks(world.vectors, BATCH // 2):
        _save_brand(name=" ".join(chunk[:5]), tagline=" ".join(chunk[5:25]), footer_text=" ".join(chunk[25:]))
        yield Load("/sign-in", len(chunk))


def footer_links(world: VectorWorld) -> Iterator[Load]:
    """Every vector as a link label, and as a link URL when the admin form accepts it."""
    for start, chunk in _chunks(world.vectors):
        accepted_urls = [v for v in chunk if _footer_url_accepted(v)]
        links = [{"label": v, "url": "/latest"} for v in chunk] + [{"label": "u", "url": v} for v in accepted_urls]
        _save_brand(footer_links=links)
        yield Load("/sign-in", len(chunk) + len(accepted_urls))


def _footer_url_accepted(url: str) -> bool:
    return branding._clean_footer_links([{"label": "x", "url": url}])[1] is None  # noqa: SLF001


def custom_css(world: VectorWorld) -> Iterator[Load]:
    """The whole corpus as one stylesheet a batch at a time, stored as is: what the form refuses is
    also confined when served."""
    for start, chunk in _chunks(world.vectors):
        _save_brand(custom_css="\n".join(chunk))
        yield Load("/sign-in", len(chunk))


def widget_admin(world: VectorWorld) -> Iterator[Load]:
    columns = Widget.__table__.c
    for start, chunk in _chunks(world.vectors):
        db.session.execute(delete(Widget))
        db.session.add_all(_fitted(Widget, name=_fit(v, columns.name), kind="latest", tag=_fit(v, columns.tag),
                                  allowed_origins=v) for v in chunk)
        db.session.commit()
        yield Load("/widgets", len(chunk))
    first = db.session.scalars(select(Widget).order_by(Widget.id)).first()
    yield Load(f"/widgets/{first.id}", 1)


def widget_frame(world: VectorWorld) -> Iterator[Load]:
    # More items than the form allows (MAX_ITEMS): the frame renders whatever the row says.
    widget = _fitted(Widget, name="Latest", kind="latest", item_count=BATCH, allowed_origins="")
    widget.categories = [world.category]
    db.session.add(widget)
    db.session.commit()
    for start, chunk in _chunks(world.threads):
        # The newest threads are the batch: move it to the top.
        db.session.execute(update(Thread).where(Thread.id.in_([t.id for t in chunk]))
                           .values(last_activity_at=utcnow() + timedelta(days=1 + start)))
        db.session.commit()
        yield Load(f"/embed/w/{widget.id}/frame", len(chunk))


def thread_cards(world: VectorWorld) -> Iterator[Load]:
    for thread in world.threads[::20]:
        yield Load(f"/embed/thread/{thread.id}", 1)


def oembed(world: VectorWorld) -> Iterator[Load]:
    client = world.app.test_client()
    for start, chunk in _chunks(world.threads):
        snippets = []
        for thread in chunk[::10]:
            reply = client.get(f"/oembed?url=http://localhost/t/{thread.id}-v&format=json")
            snippets.append(reply.get_json()["html"] if reply.status_code == 200 else "")
        yield Load(f"/__sink/oembed-{start}", len(snippets), "<!doctype html><title>host</title>" + "\n".join(snippets))


def solved_feed(world: VectorWorld) -> Iterator[Load]:
    """The feed as a reader shows it: titles as text, content as the HTML it declares."""
    client = world.app.test_client()
    for start, chunk in _chunks(world.threads, 30):
        ids = [t.id for t in chunk]
        db.session.execute(update(Thread).where(Thread.category_id == world.category.id)
                           .values(state=ThreadState.open, solved_at=None))
        db.session.execute(update(Thread).where(Thread.id.in_(ids)).values(state=ThreadState.solved, solved_at=utcnow()))
        db.session.commit()
        feed = client.get(f"/c/{world.category.slug}/solved.atom").get_data(as_text=True)
        yield Load(f"/__sink/feed-{start}", len(chunk), _reader_view(feed))


def _reader_view(feed: str) -> str:
    atom = "{http://www.w3.org/2005/Atom}"
    parts = ["<!doctype html><title>reader</title>"]
    for entry in ElementTree.fromstring(feed).iter(f"{atom}entry"):
        title = entry.findtext(f"{atom}title") or ""
        parts.append(f"<h2>{html.escape(title)}</h2>")
        for tag in ("summary", "content"):
            node = entry.find(f"{atom}{tag}")
            if node is not None:
                parts.append(node.text or "" if node.get("type") == "html" else html.escape(node.text or ""))
    return "\n".join(parts)


def composer_preview(world: VectorWorld) -> Iterator[Load]:
    # The runner types each batch into the composer and waits for composer.js to fill the preview.
    for start, chunk in _chunks(world.vectors):
        yield Load(f"/new#preview-{start}", len(chunk))


def preview_text(world: VectorWorld, path: str) -> str:
    start = int(path.rsplit("-", 1)[1])
    return "\n\n".join(world.vectors[start:start + BATCH])


def flag_notes(world: VectorWorld) -> Iterator[Load]:
    replies = db.session.scalars(select(Post).where(Post.thread_id.in_([c.id for c in world.carriers]))
                                 .where(Post.position > 1).order_by(Post.id)).all()
    for start, chunk in _chunks(world.vectors):
        db.session.execute(update(Flag).values(resolved_at=utcnow()))
        db.session.add_all(_fitted(Flag, post_id=replies[start + n].id, user_id=world.staff.id, reason="other", note=v)
                           for n, v in enumerate(chunk))
        db.session.commit()
        yield Load("/mod/queue", len(chunk))


def bridge_inbox(world: VectorWorld) -> Iterator[Load]:
    columns = BridgeCase.__table__.c
    for start, chunk in _chunks(world.vectors):
        db.session.execute(delete(BridgePost))
        db.session.execute(delete(BridgeCase))
        for n, vector in enumerate(chunk, start=start):
            case = _fitted(BridgeCase, conversation_id=str(10**15 + n), author_id=str(n + 1),
                              author_username=_fit(vector, columns.author_username),
                              author_name=_fit(vector, columns.author_name), summoned=True, label="complaint")
            db.session.add(case)
            db.session.flush()
            db.session.add(_fitted(BridgePost, post_id=str(10**15 + n), case_id=case.id, source="mentions",
                                      author_id=str(n + 1), author_username=case.author_username,
                                      author_name=case.author_name, conversation_id=case.conversation_id,
                                      text=vector, raw={}, posted_at=utcnow()))
        db.session.commit()
        yield Load("/staff/bridge", len(chunk))


def bridge_landing(world: VectorWorld) -> Iterator[Load]:
    """The /join page an invited X user lands on quotes their post: one case a load, every 20th vector."""
    from community.bridge.invite_links import issue_invite_link

    db.session.execute(delete(BridgePost))
    db.session.execute(delete(BridgeCase))
    columns = BridgeCase.__table__.c
    for n, vector in list(enumerate(world.vectors))[::20]:
        case = _fitted(BridgeCase, conversation_id=str(2 * 10**15 + n), author_id=str(n + 1), summoned=True,
                          author_username=_fit(vector, columns.author_username), label="complaint")
        db.session.add(case)
        db.session.flush()
        db.session.add(_fitted(BridgePost, post_id=case.conversation_id, case_id=case.id, source="mentions",
                                  author_id=case.author_id, author_username=case.author_username,
                                  conversation_id=case.conversation_id, text=vector, raw={}, posted_at=utcnow()))
        db.session.commit()
        with world.app.test_request_context():
            link = issue_invite_link(case)
        yield Load("/join/" + link.rsplit("/join/", 1)[1], 2)


def none(world: VectorWorld) -> Iterator[Load]:
    return iter(())
