"""Arranging widgets and content for the widget tests."""
from __future__ import annotations

from community.extensions import db
from community.models import Role, VerifiedAnswer, Visibility
from community.widgets import service as widget_service
from tests import factories

BRAND = "https://brand.example"


def make_widget(kind="solved", *, origins=BRAND, categories=(), enabled=True, **options):
    marketer = factories.make_user(role=Role.marketer)
    form = {"name": f"{kind} widget", "kind": kind, "item_count": "5", "theme": "brand", "language": "en",
            "sort": "latest", "tag": "", "allowed_origins": origins,
            "category_ids": [str(c.id) for c in categories], **options}
    widget = widget_service.create_widget(marketer, form)
    if not enabled:
        widget_service.set_enabled(marketer, widget.id, False)
    return widget


def verify(thread, staff=None):
    """Give a thread a reply and a staff-verified answer (rows only, like the factories)."""
    staff = staff or factories.make_user(role=Role.staff)
    reply = factories.make_post(thread=thread, author=staff, body="The fix is to restart the router.")
    db.session.add(VerifiedAnswer(thread_id=thread.id, post_id=reply.id, verified_by_id=staff.id))
    db.session.commit()
    return reply


def world():
    """One public verified thread, and the same kind of thread everywhere nobody anonymous may read."""
    public = factories.make_category(name="Public help")
    threads = {"public": factories.make_thread(category=public, title="Public router question")}
    for visibility in (Visibility.members, Visibility.customers, Visibility.staff):
        category = factories.make_category(name=f"{visibility.value} only", visibility=visibility)
        threads[visibility.value] = factories.make_thread(category=category, title=f"Secret {visibility.value} router question")
    threads["private"] = factories.make_thread(category=public, title="Secret private router question", is_private=True)
    for thread in threads.values():
        verify(thread)
    return public, threads
