"""The composer: what helps a member write a thread, a reply or an edit.

- drafts.py: drafts kept on the server as the member types, one per (user, thread), (user, new
  thread[, category]) or (user, post edited); shown only while the member may still post there
  (or edit that post), removed on posting or saving the edit;
- autocomplete.py: `@` suggestions (people who may be mentioned, by username or display name)
  and `#` suggestions (tags and categories the member may see);
- views.py: the JSON endpoints static/js/composer.js calls (signed in, CSRF, rate-limited).
The toolbar, the preview layout and quoting a selection are static/js/composer.js alone: the
plain textarea and the server preview keep working without it.
"""
