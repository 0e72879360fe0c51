"""Markup that listing rows and posts repeat: avatars, a person's name with their card, tag chips.

Jinja macros cost a call frame, a context and argument binding each (some 10 us); a listing calls
them for every row. These build the same markup in Python and are the templates' globals
(avatar_html, person_html, tag_chips_html); templates/macros/people.html and tags.html wrap them
for templates that import the macros.
"""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup

from ..services.avatars import initials
from .links import link


def avatar_url(user) -> str:
    if user.avatar_path:
        # The file name changes with every upload, so it doubles as a cache buster.
        return url_for("account.avatar", user_id=user.id, v=user.avatar_path.rsplit("/", 1)[-1][:-4])
    return link("account.initials_avatar", user_id=user.id)


def avatar_html(user, size: int = 32) -> Markup:
    """The uploaded picture, else initials on a colour from the id (no request, no third party)."""
    if user.avatar_path:
        return Markup('<img class="avatar avatar-{0}" src="{1}" alt="" width="{0}" height="{0}" loading="lazy">').format(
            size, avatar_url(user))
    return Markup('<span class="avatar avatar-{} avatar-initials avatar-c{}" aria-hidden="true">{}</span>').format(
        size, user.id % 8, initials(user.display_name))


def person_html(user, size: int = 24, id: str | None = None, **attributes) -> Markup:
    """A person's name with their card on hover or tap (static/js/user_card.js); a plain link
    without JS. `class` (a keyword the templates pass) names the link's class."""
    url = link("people.profile", username=user.username)
    id_attribute = Markup(' id="{}"').format(id) if id else ""
    return Markup('<span class="person">{}<a{} class="{}" href="{}" data-user-card="{}/card">{}</a></span>').format(
        avatar_html(user, size), id_attribute, attributes.get("class", "person-name"), url, url, user.display_name)


def tag_chips_html(tags) -> Markup:
    """Tag chips, each linking to its /tag/<name> page; nothing without tags."""
    if not tags:
        return Markup("")
    chips = Markup("").join(
        Markup('<li><a class="tag-chip" href="{}">{}</a></li>').format(link("tags.tag", name=tag.name), tag.name) for tag in tags)
    return Markup('<ul class="tag-chips" aria-label="Tags">{}</ul>').format(chips)


def init_app(app) -> None:
    app.jinja_env.globals.update(avatar_html=avatar_html, person_html=person_html, tag_chips_html=tag_chips_html)
