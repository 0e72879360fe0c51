"""oEmbed for public threads, the discovery link, and the embeddable thread card."""
from __future__ import annotations

import pytest

from community.models import Visibility

from .helpers import verify

HOST = "http://localhost"


def thread_url(thread):
    return f"{HOST}/t/{thread.id}-{thread.slug}"


def test_public_thread_oembed_is_rich_iframe_to_the_card(client, make_thread):
    thread = make_thread(title="Router keeps rebooting")
    response = client.get("/oembed", query_string={"url": thread_url(thread), "format": "json"})
    assert response.status_code == 200
    body = response.json
    assert body["type"] == "rich" and body["version"] == "1.0" and body["title"] == "Router keeps rebooting"
    assert f'src="{HOST}/embed/thread/{thread.id}"' in body["html"] and body["html"].startswith("<iframe")


@pytest.mark.parametrize("case", ["private", "members", "foreign", "missing", "not_thread", "empty"])
def test_oembed_refuses_everything_else(client, make_thread, make_category, case):
    thread = make_thread(is_private=case == "private",
                         category=make_category(visibility=Visibility.members if case == "members" else Visibility.public))
    url = {"foreign": f"https://evil.example/t/{thread.id}", "missing": f"{HOST}/t/99999",
           "not_thread": f"{HOST}/search?q=x", "empty": ""}.get(case, thread_url(thread))
    response = client.get("/oembed", query_string={"url": url})
    assert response.status_code in (400, 404)
    assert response.is_json and "html" not in response.json


def test_oembed_rejects_other_formats(client, make_thread):
    thread = make_thread()
    assert client.get("/oembed", query_string={"url": thread_url(thread), "format": "xml"}).status_code == 501


def test_discovery_link_only_on_public_thread_pages(client, make_thread, make_category):
    public = make_thread()
    assert 'type="application/json+oembed"' in client.get(f"/t/{public.id}-{public.slug}").get_data(as_text=True)
    hidden = make_thread(category=make_category(visibility=Visibility.members))
    page = client.get(f"/t/{hidden.id}-{hidden.slug}")
    assert "json+oembed" not in page.get_data(as_text=True)


def test_thread_card_shows_title_excerpt_badge_and_replies(client, make_thread):
    thread = make_thread(title="Wifi drops at night", body="Every night at **2 am** the wifi drops.")
    verify(thread)
    response = client.get(f"/embed/thread/{thread.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Wifi drops at night" in page and "Every night at 2 am the wifi drops." in page
    assert "Verified answer" in page and "1 reply" in page
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers


def test_thread_card_of_private_thread_is_404(client, make_thread):
    thread = make_thread(is_private=True, title="My invoice")
    response = client.get(f"/embed/thread/{thread.id}")
    assert response.status_code == 404 and "My invoice" not in response.get_data(as_text=True)
