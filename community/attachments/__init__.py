"""Attachments: files members add to threads, replies and edits.

- service.py: upload (limits, quotas, checks), the post's claim, read rules, the orphan sweep;
- images.py: the Pillow adapter (re-encoding, thumbnails, bombs); files.py: names and the type of
  other files read from their bytes (filetype);
- serving.py: how a file reaches a reader after the check (Flask, nginx X-Accel-Redirect, a
  signed redirect to the cookieless UPLOADS_HOST, or a signed S3 URL); uploads_host.py: the WSGI
  layer that alone answers requests for UPLOADS_HOST;
- views.py: the JSON upload endpoint, serving, the admin page for the extension list.
Permissions: policies.can_upload_attachment and can_read_attachment (the post's read rule).
"""
from __future__ import annotations


def init_app(app) -> None:
    """Refuse serving settings that cannot work, before the first request finds out."""
    from . import serving

    serving.check_settings(app.config)
    if serving.uploads_host(app.config) and not serving.issues_uploads_urls(app.config):
        app.logger.warning("UPLOADS_HOST serves no files with STORAGE_BACKEND=s3: the signed S3 URLs already are another origin")
