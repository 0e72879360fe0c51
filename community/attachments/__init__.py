"""Attachments: files members add to threads, replies and edits.

- service.py: upload (limits, quotas, checks), the post's claim, read rules, the orphan sweep;
- images.py: the Pillow adapter (re-encoding, thumbnails, bombs); files.py: names and the type of
  other files read from their bytes (filetype);
- views.py: the JSON upload endpoint, serving (local folder or signed S3 URLs, after the check),
  the admin page for the extension list.
Permissions: policies.can_upload_attachment and can_read_attachment (the post's read rule).
"""
