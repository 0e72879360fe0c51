"""Tags on threads and watching categories and tags.

- service.py: tag names and their rules, a thread's tags, the tag page's listing, the staff-defined
  list and the free-tags setting (a SiteSetting row);
- watching.py: the watch levels of a member for a category or tag, who a new post reaches because
  of them (notifications.handle_event asks), muted threads, tracking's unread counts;
- views.py: /tag/<name>, the watch buttons' POSTs, the admin page for tags.
"""
