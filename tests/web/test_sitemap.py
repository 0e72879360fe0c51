"""sitemap.xml lists exactly the public threads, splits into an index past the per-file limit,
and robots.txt points at it."""
from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import select

from community.extensions import db
from community.models import Post, utcnow
from community.services import feeds

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _locs(response, tag: str = "url") -> list[str]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    return [node.find(f"{SM}loc").text for node in ElementTree.fromstring(response.data).findall(f"{SM}{tag}")]


def test_sitemap_lists_public_threads_only(client, make_category, make_thread):
    public = make_category()
    shown = [make_thread(category=public, title=f"Public {n}") for n in range(3)]
    for visibility in ("members", "customers", "staff"):
        make_thread(category=make_category(visibility=visibility), title="Gated")
    make_thread(category=public, is_private=True)
    pending, deleted, merged, hidden = (make_thread(category=public) for _ in range(4))
    pending.is_pending, deleted.deleted_at, merged.merged_into_id = True, utcnow(), shown[0].id
    db.session.scalar(select(Post).where(Post.thread_id == hidden.id)).is_hidden = True
    db.session.commit()
    locs = _locs(client.get("/sitemap.xml"))
    assert sorted(locs) == sorted(f"http://127.0.0.1:5000/t/{t.id}-{t.slug}" for t in shown)
    for loc in locs:  # every URL leads to the thread
        assert client.get(loc.removeprefix("http://127.0.0.1:5000")).status_code == 200


def test_sitemap_becomes_an_index_past_the_limit(client, make_category, make_thread, monkeypatch):
    monkeypatch.setattr(feeds, "SITEMAP_URLS", 2)
    public = make_category()
    threads = [make_thread(category=public) for _ in range(5)]
    index = _locs(client.get("/sitemap.xml"), "sitemap")
    assert index == [f"http://127.0.0.1:5000/sitemap-{n}.xml" for n in (1, 2, 3)]
    pages = [_locs(client.get(f"/sitemap-{n}.xml")) for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(loc for page in pages for loc in page) == sorted(f"http://127.0.0.1:5000/t/{t.id}-{t.slug}" for t in threads)
    assert client.get("/sitemap-4.xml").status_code == 404
    assert client.get("/sitemap-0.xml").status_code == 404


def test_sitemap_runs_one_query_however_many_threads(client, make_category, make_thread, query_counter):
    public = make_category()
    for _ in range(3):
        make_thread(category=public)
    client.get("/sitemap.xml")  # the first request may fill per-process caches (branding)
    with query_counter() as few:
        client.get("/sitemap.xml")
    for _ in range(9):
        make_thread(category=public)
    with query_counter() as many:
        assert len(_locs(client.get("/sitemap.xml"))) == 12
    assert many.n == few.n


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://127.0.0.1:5000/sitemap.xml" in response.get_data(as_text=True)
    assert "Disallow: /admin/" in response.get_data(as_text=True)
