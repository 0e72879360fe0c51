"""Web layer: blueprints, security headers, error pages and template helpers."""
from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import account, admin, auth, errors, forum, health, helpers, security, users_admin
    from ..search import views as search
    from . import notifications
    from . import mod

    security.init_app(app)
    from ..page_cache import anonymous as page_cache

    page_cache.init_app(app)
    errors.init_app(app)
    helpers.init_app(app)
    from . import answers, inbox

    app.register_blueprint(answers.bp)
    app.register_blueprint(inbox.bp)
    for blueprint in (auth.bp, account.bp, forum.bp, admin.bp, admin.brand_bp, users_admin.bp, search.bp, health.bp,
                      notifications.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(mod.bp)
    from ..bridge import views as bridge

    app.register_blueprint(bridge.bp)
    from ..bridge import join_views as bridge_join

    app.register_blueprint(bridge_join.bp)
    from ..widgets import embed_views as embed
    from ..widgets import views as widgets

    app.register_blueprint(widgets.bp)
    app.register_blueprint(embed.bp)
    from ..metrics import csat_views as csat
    from ..metrics import views as dashboard

    app.register_blueprint(dashboard.bp)
    app.register_blueprint(csat.bp)
    from . import feeds
    from ..webhooks import views as webhooks_admin

    app.register_blueprint(webhooks_admin.bp)
    app.register_blueprint(feeds.bp)
