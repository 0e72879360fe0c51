"""Widget excerpts are plain text: what the post says, escaped exactly once where it is shown."""
from __future__ import annotations

from markupsafe import escape

from community.widgets.service import excerpt_of

from .helpers import BRAND, make_widget

BODY = '"quoted" & a > b'


def test_excerpt_of_decodes_the_entities_the_html_carries():
    assert excerpt_of("<p>&quot;quoted&quot; &amp; a &gt; b</p>") == BODY
    # An escaped tag in the post stays text: decoded once, never turned back into markup by us.
    assert excerpt_of("<p>&lt;script&gt;x&lt;/script&gt;</p>") == "<script>x</script>"


def test_widget_json_shows_the_text_as_written(client, make_thread):
    widget = make_widget("latest")
    make_thread(title="Entities", body=BODY)
    items = client.get(f"/embed/w/{widget.id}.json", headers={"Origin": BRAND}).json["items"]
    assert items[0]["excerpt"] == BODY


def test_widget_frame_escapes_the_excerpt_once(client, make_thread):
    widget = make_widget("latest")
    make_thread(title="Entities", body=BODY)
    page = client.get(f"/embed/w/{widget.id}/frame").get_data(as_text=True)
    assert f'<p class="pw-excerpt">{escape(BODY)}</p>' in page
    assert "&amp;quot;" not in page and "&amp;gt;" not in page


def test_thread_card_and_oembed_escape_the_excerpt_once(client, make_thread):
    thread = make_thread(title="Entities", body=BODY)
    card = client.get(f"/embed/thread/{thread.id}").get_data(as_text=True)
    assert f'<p class="pw-excerpt">{escape(BODY)}</p>' in card
    assert "&amp;quot;" not in card and "&amp;gt;" not in card


def test_a_tag_typed_as_text_stays_text_in_the_frame(client, make_thread):
    widget = make_widget("latest")
    make_thread(title="Tags as text", body="Type <script> literally")  # Markdown keeps raw HTML as text
    page = client.get(f"/embed/w/{widget.id}/frame").get_data(as_text=True)
    assert '<p class="pw-excerpt">Type &lt;script&gt; literally</p>' in page
