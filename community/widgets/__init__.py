"""Embeddable widgets: their admin pages, the embed routes and fast path, and the widget cache."""

# The widget tables some cached page shows: a write moves the page cache's generations
# (page_cache/store.py). The page cache moved GLOBAL on these before it had an allowlist, and no
# one has shown a page that does not depend on them.
PAGE_TABLES = frozenset({"widgets", "widget_categories"})
