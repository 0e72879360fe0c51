"""Services: one module per domain. Each loads, checks a policy, changes rows, commits, then
queues side effects. Services never import `request`."""

# The forum core's tables some cached page shows (the anonymous pages, the signed-in home page): a
# write to one moves the page cache's generations (page_cache/store.py). A table left out is
# invisible to the cache; tests/web/test_page_cache_tables.py makes every new table take a side.
# Taken from what emptied the cache before it had an allowlist. watched_words and flags (moderation)
# and external_refs (the importer's mapping) may show on no cached page: kept until someone checks.
PAGE_TABLES = frozenset({
    "users", "external_refs", "site_settings",
    "categories", "category_slugs", "threads", "posts", "post_revisions", "tags", "thread_tags",
    "accepted_answers", "verified_answers", "same_problems", "helpful_votes", "follows",
    "flags", "watched_words",
})
