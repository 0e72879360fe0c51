"""Every XSS vector, posted as a thread title and as a post body through the services, rendered in
Chromium: no script runs and the DOM carries nothing executable from user content.

Batched for speed: titles are checked on category listing pages (100 per page) and bodies on
carrier threads (100 replies per page), so Chromium loads ~45 pages instead of 4,400.
"""
import json

import pytest

from community.services import posts, threads
from tests.conftest import shared_data

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.browser]

BATCH = 100

# Installed before any page script: every way a vector usually proves itself leaves a trace here.
TRAP_SCRIPT = """
window.__xss = [];
const trap = (name) => function () { window.__xss.push(name + ':' + Array.from(arguments).join(',')); };
window.alert = trap('alert'); window.confirm = trap('confirm'); window.prompt = trap('prompt');
window.print = trap('print');
for (const level of ['log', 'info', 'warn', 'error', 'debug']) { console[level] = trap('console.' + level); }
Object.defineProperty(window, 'xss', { set: trap('global xss'), get: () => undefined });
"""

DOM_AUDIT = """
() => {
  const problems = [];
  const badUrl = (value) => /^(javascript|vbscript|data:text\\/html)/.test(value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase())
    || /^data:/.test(value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase());
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith('on')) problems.push(el.tagName + '[' + name + ']');
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc'].includes(name) && badUrl(attr.value))
        problems.push(el.tagName + '[' + name + '=' + attr.value.slice(0, 60) + ']');
    }
  }
  for (const el of document.querySelectorAll('script')) {
    // JSON-LD is data, never run; it must still parse and hold no raw "<" that could close the tag.
    if (el.type === 'application/ld+json') {
      try { JSON.parse(el.textContent); } catch (error) { problems.push('unparsable JSON-LD'); }
      if (el.textContent.includes('<')) problems.push('raw < in JSON-LD');
      continue;
    }
    if (!['/static/js/composer.js', '/static/js/answers.js'].includes(el.getAttribute('src') || '')) problems.push('script: ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('iframe, frame, object, embed, base, meta[http-equiv], style, form:not([method])'))
    problems.push(el.tagName);
  for (const root of document.querySelectorAll('.post-body, .thread-list, h1')) {
    for (const el of root.querySelectorAll('form, input, button, link, meta, svg, math, textarea, select'))
      problems.push('user content: ' + el.tagName);
  }
  return problems;
}
"""


@pytest.fixture
def app_overrides():
    return {"THREADS_PER_PAGE": BATCH, "POSTS_PER_PAGE": BATCH + 1}  # + the opening post


def _vectors() -> list[str]:
    lines = shared_data("xss/xss_vectors.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["vector"] for line in lines if line.strip()]


def _post_every_vector(app, author, category, vectors):
    """Each vector becomes a thread (title and body) and a reply on a carrier thread."""
    limit = app.config["TITLE_MAX_LENGTH"]
    carriers = []
    for start in range(0, len(vectors), BATCH):
        carrier = threads.create_thread(author, category.id, f"Carrier {start // BATCH}", "Vectors follow.")
        carriers.append(carrier)
        for vector in vectors[start:start + BATCH]:
            threads.create_thread(author, category.id, " ".join(vector.split())[:limit], vector)
            posts.create_reply(author, carrier.id, vector)
    return carriers


def _visit(page, url: str) -> list[str]:
    page.goto(url, wait_until="load")
    page.wait_for_timeout(50)  # let timers and late event handlers have their chance
    problems = page.evaluate(DOM_AUDIT)
    fired = page.evaluate("window.__xss")
    return [f"{url}: {item}" for item in problems + fired]


def test_no_vector_runs_script_in_titles_or_bodies(app, live_server, page, make_user, make_category, monkeypatch):
    vectors = _vectors()
    assert len(vectors) > 2000
    author = make_user(role="staff", username="xss_author")
    category = make_category(name="XSS")
    # Search indexing after each commit is not under test here and would dominate the run time.
    monkeypatch.setattr("community.jobs.queue.enqueue", lambda *args: None)
    carriers = _post_every_vector(app, author, category, vectors)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(TRAP_SCRIPT)

    failures = []
    listing_pages = (len(vectors) + len(carriers)) // BATCH + 1
    for number in range(1, listing_pages + 1):
        failures += _visit(page, f"{live_server.url}/c/{category.slug}?page={number}")
    shown_posts = []
    for carrier in carriers:
        failures += _visit(page, f"{live_server.url}/t/{carrier.id}-{carrier.slug}")
        shown_posts.append(page.locator("article.post").count())
    assert dialogs == [] and failures == []
    assert sum(shown_posts) == len(vectors) + len(carriers)  # every reply was on a page we checked


def test_the_trap_catches_a_script_that_runs(live_server, page):
    # Guards the test above against a trap that silently stopped working.
    page.add_init_script(TRAP_SCRIPT)
    page.goto(f"{live_server.url}/healthz")
    page.evaluate("() => { alert(1); window.xss = 1; }")
    assert page.evaluate("window.__xss") == ["alert:1", "global xss:1"]
    page.set_content('<a href="javascript:alert(1)">x</a><img src="x" onerror="1">')
    assert len(page.evaluate(DOM_AUDIT)) == 2
