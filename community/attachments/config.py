"""Settings of this domain (name -> (default, description); environment COMMUNITY_<NAME>).

Attachments: sizes, counts, quotas, image limits, the default list of file extensions (admins
change the list at /admin/attachments) and how files are served (community/attachments/serving.py). community/config.py adds them to the one settings table.
"""
from __future__ import annotations

from typing import Any

MB = 1024 * 1024

SETTINGS: dict[str, tuple[Any, str]] = {
    "ATTACHMENT_MAX_BYTES": (20 * MB, "Largest attachment upload in bytes (stay below MAX_CONTENT_LENGTH)."),
    "ATTACHMENTS_PER_POST": (10, "Most attachments one post may reference."),
    "ATTACHMENT_DAILY_QUOTA_BYTES": (200 * MB, "Bytes one member may upload in 24 hours (staff included)."),
    "ATTACHMENT_SITE_QUOTA_BYTES": (20 * 1024 * MB, "Bytes all attachments together may take; uploads are refused above."),
    "ATTACHMENT_EXTENSIONS": ("txt log csv json md yaml yml ini conf cfg pdf zip gz", "File extensions members may attach besides images, space-separated (admins override it at /admin/attachments)."),
    "ATTACHMENT_IMAGE_MAX_SIDE": (4096, "Longest side of a stored image in pixels; larger images are scaled down."),
    "ATTACHMENT_THUMBNAIL_SIDE": (640, "Longest side of an image's thumbnail in pixels."),
    "ATTACHMENT_MAX_PIXELS": (50_000_000, "Largest decoded image (width x height x frames) before it is refused as a decompression bomb."),
    "ATTACHMENT_MAX_FRAMES": (100, "Most frames an animated GIF or WebP may have."),
    "ATTACHMENT_URL_SECONDS": (60, "Lifetime of the signed URL (S3, or the UPLOADS_HOST token) a reader is redirected to after the permission check."),
    "ATTACHMENT_ACCEL_REDIRECT": (None, "Local folder behind nginx: a URL prefix such as /_protected_uploads/ (an internal location aliased to UPLOAD_DIR, see deploy/nginx-parley.conf); after the check Flask answers with X-Accel-Redirect and nginx sends the file. Unset: Flask sends it."),
    "UPLOADS_HOST": (None, "A separate cookieless host for attachment files, e.g. files.brand-cdn.example (pointed at this app): after the check the main host redirects there with a signed token lasting ATTACHMENT_URL_SECONDS; it serves nothing else. With STORAGE_BACKEND=s3 files go to signed S3 URLs instead (already another origin) and this host serves nothing."),
    "ATTACHMENT_ORPHAN_HOURS": (24, "Uploads no post references after this many hours are removed."),
    "ATTACHMENT_NEW_ACCOUNT_IMAGES_ONLY_DAYS": (0, "For this many days after sign-up an account may attach images only, no other files (0: off; admins change it at /admin/attachments)."),
    "RATELIMIT_ATTACHMENTS": ("30 per minute;300 per day", "Attachment uploads per member."),
}
