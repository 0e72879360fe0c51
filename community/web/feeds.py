"""Atom feeds (/latest.atom, /c/<slug>/solved.atom), /sitemap.xml and /robots.txt.

Everything here is what an anonymous visitor may read, whoever asks: feeds are fetched by readers
without a session, and the same URL must not show different things to different people.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, redirect, render_template, url_for

from ..services import feeds
from .helpers import branding

bp = Blueprint("feeds", __name__)

ATOM = "application/atom+xml; charset=utf-8"
XML = "application/xml; charset=utf-8"
CACHE = {"Cache-Control": "public, max-age=300"}
# Characters XML 1.0 forbids even escaped: one of them in a title or post (a form feed, a NUL)
# would make the whole feed unparseable, and readers drop a feed that does not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _atom(feed: feeds.Feed) -> Response:
    body = xml_safe(render_template("feeds/atom.xml", feed=feed, base=feeds.site_base()))
    return Response(body, mimetype=None, content_type=ATOM, headers=CACHE)


@bp.route("/latest.atom")
def latest():
    return _atom(feeds.latest_feed(branding()["name"]))


@bp.route("/c/<slug>/solved.atom")
def solved(slug: str):
    category = feeds.public_category(slug)
    if category.slug != slug:
        return redirect(url_for("feeds.solved", slug=category.slug), 301)
    return _atom(feeds.solved_feed(branding()["name"], category))


@bp.route("/sitemap.xml")
def sitemap():
    pages = feeds.sitemap_pages()
    if pages == 1:
        return _urlset(1)
    body = render_template("feeds/sitemap_index.xml", pages=range(1, pages + 1), base=feeds.site_base())
    return Response(body, content_type=XML, headers=CACHE)


@bp.route("/sitemap-<int:page>.xml")
def sitemap_page(page: int):
    return _urlset(page)


def _urlset(page: int) -> Response:
    return Response(feeds.sitemap_xml(page), content_type=XML, headers=CACHE)


@bp.route("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /staff/",
        "Disallow: /mod/",
        "Disallow: /settings/",
        "Disallow: /notifications",
        "Disallow: /api/",
        f"Sitemap: {feeds.site_base()}{url_for('feeds.sitemap')}",
        "",
    ]
    return Response("\n".join(lines), content_type="text/plain; charset=utf-8", headers=CACHE)
