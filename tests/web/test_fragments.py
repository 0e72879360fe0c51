"""Avatars, names with cards and tag chips built in Python (community/web/fragments.py): the markup
the macros made, escaped, the same through the macros that wrap them."""
from __future__ import annotations

import pytest
from flask import render_template_string

from community.extensions import db
from community.models import Tag
from community.web.fragments import avatar_html, person_html, tag_chips_html

pytestmark = pytest.mark.backends("sqlite")


def test_an_avatar_is_initials_on_a_colour_or_the_uploaded_picture(app, make_user):
    user = make_user(display_name="<b>ada</b> lovelace")
    with app.test_request_context("/"):
        assert avatar_html(user, 24) == (
            f'<span class="avatar avatar-24 avatar-initials avatar-c{user.id % 8}" aria-hidden="true">L</span>')
        macro = render_template_string('{% from "macros/people.html" import avatar with context %}{{ avatar(user, 24) }}',
                                       user=user)
        assert macro == avatar_html(user, 24)
        user.avatar_path = "avatars/7-abc123.png"
        assert avatar_html(user) == (
            f'<img class="avatar avatar-32" src="/avatars/{user.id}.png?v=7-abc123" alt="" width="32" height="32" '
            'loading="lazy">')


def test_a_person_links_to_the_profile_and_its_card(app, make_user):
    user = make_user(display_name='Dana "D" <Scully>', username="dana")
    with app.test_request_context("/"):
        html = person_html(user, 32, id="post-5-author", **{"class": "post-author"})
        assert html == (
            f'<span class="person">{avatar_html(user, 32)}<a id="post-5-author" class="post-author" href="/u/dana" '
            'data-user-card="/u/dana/card">Dana &#34;D&#34; &lt;Scully&gt;</a></span>')
        assert ' id=' not in person_html(user).split("<a", 1)[1].split(">", 1)[0]
        assert 'class="person-name"' in person_html(user)
        macro = render_template_string('{% from "macros/people.html" import person with context %}'
                                       '{{ person(user, 32, id="post-5-author", class="post-author") }}', user=user)
        assert macro == html


def test_tag_chips_link_each_tag_and_show_nothing_without_tags(app, make_thread):
    thread = make_thread()
    thread.tags = [Tag(name="c++ & d"), Tag(name="ink")]
    db.session.commit()
    with app.test_request_context("/"):
        assert tag_chips_html([]) == ""
        assert tag_chips_html(thread.tags) == (
            '<ul class="tag-chips" aria-label="Tags"><li><a class="tag-chip" href="/tag/c++%20&amp;%20d">c++ &amp; d</a></li>'
            '<li><a class="tag-chip" href="/tag/ink">ink</a></li></ul>')
        macro = render_template_string('{% from "macros/tags.html" import tag_chips with context %}{{ tag_chips(tags) }}',
                                       tags=thread.tags)
        assert macro == tag_chips_html(thread.tags)
