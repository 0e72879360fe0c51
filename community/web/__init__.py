"""The forum core's pages: blueprints, security headers, error pages and template helpers.

create_app (community/__init__.py) registers them; nothing here changes the app on import.
"""
