"""The XSS corpus (../shared/data/xss/xss_vectors.jsonl, plus canary vectors of our own) through
every sink of the registry (tests/security/sinks.py), in Chromium with the real CSP (and with none,
for documents shown as a mail client or feed reader would): no dialog, no trapped call, no request
to the canary origin, no script from anywhere but /static/, and no event-handler attribute or
javascript:/data: URL in any frame or shadow root. Prints the sinks x vectors report.

Seeding is one community for all sinks (tests/security/sink_seeds.py); one browser, many vectors
per page. Every sink runs on SQLite (with Whoosh); on PostgreSQL only the search sinks run, the one
place where the database renders user text itself (ts_headline highlights): every other sink
escapes in the same templates whichever database stored the text, and running them twice cost
about three minutes of the suite.
"""
from __future__ import annotations

import json
import os
import sys
import time

import pytest

from tests.conftest import shared_data
from tests.security import sink_seeds
from tests.security.report import write_report
from tests.security.browser_checks import CANARY, CANARY_VECTORS, DOM_AUDIT, TRAP_SCRIPT
from tests.security.sinks import SINKS

pytestmark = [pytest.mark.browser]

PAGE_SCRIPTS = ["/embed.js", "/static/js/live.js", "/static/js/composer.js", "/static/js/answers.js", "/static/js/similar.js",
                "/static/js/notifications.js", "/static/js/sla_countdown.js", "/static/js/widget_frame.js",
                "/static/js/widgets_admin.js", "/static/js/header_search.js", "/static/js/site.js",
                "/static/js/user_card.js", "/static/js/shortcuts.js", "/static/js/attachments.js",
                "/static/js/composer_autocomplete.js", "/static/js/composer_drafts.js"]
PREVIEW_BATCH = 100


@pytest.fixture
def app_overrides(db_backend):
    return {
        "THREADS_PER_PAGE": sink_seeds.BATCH, "POSTS_PER_PAGE": sink_seeds.BATCH + 1, "PAGE_CACHE_ENABLED": False,
        "SEARCH_BACKEND": "postgres" if db_backend == "postgres" else "whoosh",
    }


def corpus() -> list[str]:
    lines = shared_data("xss/xss_vectors.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["vector"] for line in lines if line.strip()] + CANARY_VECTORS


class Watcher:
    """One browser page signed in as an administrator, with every trap set."""

    def __init__(self, browser, base_url: str) -> None:
        self.base_url = base_url
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.documents: dict[str, str] = {}
        self.events: list[str] = []
        self.images_allowed = False
        self.frames_allowed = ""
        self.page.add_init_script(TRAP_SCRIPT)
        self.page.on("dialog", lambda dialog: (self.events.append(f"dialog {dialog.message}"), dialog.dismiss()))
        self.context.route(f"{CANARY}/**", self._canary)
        self.context.route(f"{base_url}/__sink/**", self._document)
        self.page.on("request", self._request)

    def _canary(self, route) -> None:
        request = route.request
        if not (self.images_allowed and request.resource_type == "image"):
            self.events.append(f"canary {request.resource_type} {request.url}")
        route.fulfill(status=204, body="")

    def _document(self, route) -> None:
        body = self.documents.get(route.request.url.removeprefix(self.base_url), "")
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    def _request(self, request) -> None:
        own = request.url.startswith(f"{self.base_url}/static/") or request.url == f"{self.base_url}/embed.js"
        if request.resource_type == "script" and not own:
            self.events.append(f"script request {request.url}")
        if request.resource_type == "document" and request.frame != self.page.main_frame \
                and not (self.frames_allowed and request.url.startswith(self.frames_allowed)):
            self.events.append(f"frame request {request.url}")

    def sign_in(self, email: str, password: str) -> None:
        self.page.goto(f"{self.base_url}/sign-in")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(f"{self.base_url}/")

    def visit(self, load) -> list[str]:
        self.events.clear()
        if load.html is not None:
            self.documents[load.path] = load.html
        self.page.goto(self.base_url + load.path, wait_until="load")
        self.page.wait_for_timeout(30)  # let timers and late event handlers have their chance
        return self._findings(load.path)

    def preview(self, load, text: str) -> list[str]:
        self.events.clear()
        if not self.page.url.startswith(f"{self.base_url}/new"):
            self.page.goto(f"{self.base_url}/new")
        with self.page.expect_response(lambda response: response.url.endswith("/preview")) as reply:
            self.page.fill("textarea[data-markdown-input]", text)
        assert reply.value.ok, f"preview answered {reply.value.status}"
        self.page.wait_for_function("() => !document.querySelector('[data-preview-output] .muted')")
        self.page.wait_for_timeout(30)
        return self._findings(load.path)

    def _findings(self, where: str) -> list[str]:
        found = self.page.evaluate(DOM_AUDIT, [PAGE_SCRIPTS, self.frames_allowed]) + self.page.evaluate("window.__xss || []")
        return [f"{where}: {item}" for item in found + self.events]


def _run_sink(watcher: Watcher, world, sink) -> tuple[int, list[str]]:
    watcher.images_allowed, watcher.frames_allowed = sink.images_allowed, sink.frames_allowed
    vectors, failures = 0, []
    for load in sink.seed(world):
        if sink.name.startswith("composer preview"):
            start = int(load.path.rsplit("-", 1)[1])
            for offset in range(0, load.vectors, PREVIEW_BATCH):
                text = "\n\n".join(world.vectors[start + offset:start + offset + PREVIEW_BATCH])
                failures += watcher.preview(load, text)
        else:
            failures += watcher.visit(load)
        vectors += load.vectors
    return vectors, failures


def test_every_sink_holds_against_the_corpus(app, live_server, browser, db_backend, monkeypatch):
    only = [name for name in os.environ.get("XSS_SINKS", "").split(",") if name]
    vectors = corpus()
    assert len(vectors) > 2000
    # Search indexing after each commit is not under test here (the search sink rebuilds the index).
    monkeypatch.setattr("community.jobs.queue.enqueue", lambda *args, **kwargs: None)
    # The search page's tag column, widened from 12 to a batch: the same template renders each
    # name, and 23 pages instead of 184 cut the tag-facet sink from the slowest to a usual one.
    # (The module from sys.modules: the package's `backend` attribute is a function of that name.)
    monkeypatch.setattr(sys.modules["community.search.backend"], "FACET_TAGS", sink_seeds.BATCH)
    world = sink_seeds.build(app, vectors)
    watcher = Watcher(browser, live_server.url)
    watcher.sign_in(world.staff.email, "x" * 12)
    report, failures = [], []
    try:
        for sink in [s for s in SINKS if (not only or s.name in only) and (s.search or db_backend != "postgres")]:
            started = time.monotonic()
            checked, found = _run_sink(watcher, world, sink)
            report.append((sink.name, sink.kind, checked, len(found), time.monotonic() - started))
            failures += [f"[{sink.name}] {item}" for item in found]
    finally:
        watcher.context.close()
    lines = [f"database {db_backend}, search backend {app.config['SEARCH_BACKEND']}: {len(vectors)} vectors",
             "sink | kind | vectors checked | findings | seconds"]
    lines += [f"{name} | {kind} | {checked} | {found} | {seconds:.1f}" for name, kind, checked, found, seconds in report]
    write_report(db_backend, lines)
    assert failures == [], "\n".join(failures[:40])
    assert all(row[2] > 0 for row in report), report


def test_the_watcher_catches_what_it_watches_for(app, live_server, browser):
    # Guards the test above against traps that silently stopped working.
    watcher = Watcher(browser, live_server.url)
    try:
        watcher.page.goto(f"{live_server.url}/healthz")
        watcher.page.evaluate("() => { alert(1); window.xss = 1; }")
        assert watcher.page.evaluate("window.__xss") == ["alert:1", "global xss:1"]
        page = '<a href="javascript:alert(1)">x</a><img src="x" onerror="1"><div id=host></div>' \
               f'<img src="{CANARY}/pixel.png"><script src="{CANARY}/s.js"></script>'
        from tests.security.sinks import Load

        found = watcher.visit(Load("/__sink/selftest", 1, page))
        assert any("A[href=javascript" in item for item in found), found
        assert any("IMG[onerror]" in item for item in found), found
        assert any("canary image" in item for item in found), found
        assert any("script request" in item for item in found), found
        watcher.page.evaluate("() => { const r = document.getElementById('host').attachShadow({mode: 'open'});"
                              " r.innerHTML = '<b onclick=1>x</b>'; }")
        assert any("shadow" in item for item in watcher.page.evaluate(DOM_AUDIT, [PAGE_SCRIPTS, ""]))
    finally:
        watcher.context.close()
