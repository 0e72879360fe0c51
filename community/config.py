"""Settings: defaults, then COMMUNITY_* environment variables, then explicit overrides.

Every setting the app reads is listed in DEFAULTS with its type, so the README table and the
environment parser cannot drift apart. Nothing here runs at import time.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from .attachments.config import SETTINGS as ATTACHMENT_SETTINGS
from .bridge.config import SETTINGS as BRIDGE_SETTINGS
from .composer.config import SETTINGS as COMPOSER_SETTINGS
from .identity.config import SETTINGS as IDENTITY_SETTINGS
from .live.config import SETTINGS as LIVE_SETTINGS
from .metrics.config import SETTINGS as METRICS_SETTINGS
from .page_cache.config import SETTINGS as PAGE_CACHE_SETTINGS
from .webhooks.config import SETTINGS as WEBHOOK_SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# name -> (default, description). Environment variable is COMMUNITY_<NAME>. The side domains keep
# their own blocks in <domain>/config.py; SETTINGS below is the one table of all of them.
CORE_SETTINGS: dict[str, tuple[Any, str]] = {
    "DATABASE_URL": (None, "SQLAlchemy URL. Default: SQLite file in the instance folder."),
    "REDIS_URL": (None, "Redis URL for rate limits, caches and the RQ job queue. Unset: in-process."),
    "SECRET_KEY": (None, "Signing key. Unset: generated once into instance/secret_key."),
    "INSTANCE_PATH": (None, "Instance folder (SQLite file, secret key, outbox, uploads)."),
    "BASE_URL": ("http://127.0.0.1:5000", "Canonical base URL, used in emails and links."),
    "SEARCH_BACKEND": ("whoosh", "Search backend: whoosh or postgres."),
    "SEARCH_INDEX_DIR": (str(PROJECT_ROOT / "search_index"), "Whoosh index folder."),
    "RQ_QUEUE_NAME": ("community", "Name of the RQ queue the app and `flask community worker` share; search indexing goes to `<name>-urgent`, which workers empty first."),
    "DB_POOL_SIZE": (5, "PostgreSQL connections kept open per app process."),
    "DB_MAX_OVERFLOW": (10, "Extra PostgreSQL connections allowed under load, per process."),
    "STATEMENT_TIMEOUT_MS": (15_000, "PostgreSQL statement timeout in milliseconds."),
    "JOB_QUEUE": ("inline", "Job queue: inline (in-process) or rq. Default rq when REDIS_URL is set."),
    "SCHEDULER": ("auto", "Who times the periodic jobs: web (a thread in each app process), worker (`flask community worker`), off (cron runs `flask community run-scheduled`), or auto: web with the inline queue, worker with RQ; off when TESTING."),
    "SCHEDULER_TICK_SECONDS": (15, "Seconds between the scheduler's checks for due periodic jobs."),
    "SMTP_HOST": (None, "SMTP server host. Unset: mail is written to instance/outbox/."),
    "SMTP_PORT": (25, "SMTP server port."),
    "SMTP_USERNAME": (None, "SMTP user name."),
    "SMTP_PASSWORD": (None, "SMTP password."),
    "SMTP_STARTTLS": (False, "Use STARTTLS with the SMTP server."),
    "MAIL_FROM": ("community@localhost", "From address of every email."),
    "UPLOAD_DIR": (None, "Folder for uploaded files. Default: instance/uploads."),
    "STORAGE_BACKEND": ("local", "Where uploads live: local (UPLOAD_DIR) or s3 (any S3-compatible store; set the S3_* settings)."),
    "S3_ENDPOINT_URL": (None, "S3-compatible endpoint, e.g. https://minio.example.com:9000. Unset: AWS S3."),
    "S3_BUCKET": (None, "Bucket holding the uploads when STORAGE_BACKEND=s3."),
    "S3_PREFIX": (None, "Key prefix inside the bucket, e.g. parley/ to share a bucket."),
    "S3_REGION": ("us-east-1", "Region of the S3 bucket."),
    "S3_ACCESS_KEY_ID": (None, "S3 access key. Unset: boto3's usual credential chain (env, instance role)."),
    "S3_SECRET_ACCESS_KEY": (None, "S3 secret key."),
    "AVATAR_MAX_BYTES": (2 * 1024 * 1024, "Largest avatar upload in bytes."),
    "BRAND_LOGO_MAX_BYTES": (512 * 1024, "Largest brand logo upload in bytes."),
    "BRAND_CSS_MAX_BYTES": (20_000, "Largest custom CSS an admin may save, in bytes."),
    "BRAND_CSS_ALLOWED_HOSTS": ("", "Other hosts the custom CSS may load url() images and fonts from, comma-separated (e.g. fonts.example.com); the Content-Security-Policy must allow them too. Empty: only this site, and data:image/png|gif|jpeg|webp."),
    "MAX_CONTENT_LENGTH": (25 * 1024 * 1024, "Largest request body in bytes (413 above)."),
    "TITLE_MAX_LENGTH": (150, "Longest thread title in characters."),
    "BODY_MAX_LENGTH": (50_000, "Longest post body in characters."),
    "PASSWORD_MIN_LENGTH": (10, "Shortest accepted password."),
    "EMAIL_TOKEN_MAX_AGE": (48 * 3600, "Seconds an email-verification link stays valid."),
    "RESET_TOKEN_MAX_AGE": (3600, "Seconds a password-reset link stays valid."),
    "THREADS_PER_PAGE": (30, "Threads per listing page."),
    "SOLVED_AUTO_CLOSE_DAYS": (14, "Days after a thread is solved before it closes automatically (0 = never)."),
    "ACCEPT_REMINDER_DAYS": (3, "Days a staff reply may go unacknowledged before the asker is reminded once to accept an answer (0 = never)."),
    "POSTS_PER_PAGE": (20, "Posts per thread page."),
    "NOTIFICATIONS_PER_PAGE": (30, "Notifications per page of a member's notification list."),
    "RATELIMIT_ENABLED": (True, "Turn rate limiting on or off."),
    "RATELIMIT_SIGNIN": ("10 per minute;50 per hour", "Sign-in attempts per client address."),
    "RATELIMIT_SIGNUP": ("5 per minute;20 per hour", "Sign-ups per client address."),
    "RATELIMIT_RESET": ("5 per minute;20 per hour", "Password-reset requests per client address."),
    "RATELIMIT_POSTING": ("10 per minute;200 per day", "New threads and replies per user."),
    "PREMOD_FIRST_POSTS": (0, "Hold the first N posts of every new account for staff approval (0 = off)."),
    "FLAGS_TO_AUTO_HIDE": (3, "Hide a post, pending review, once this many different members flag it (0 = never)."),
    "SPAM_CHECKS_ENABLED": (True, "Hold posts that look like spam (links from new accounts, repeated text, bursts) for review."),
    "SPAM_NEW_ACCOUNT_DAYS": (7, "Accounts younger than this many days count as new for the link rule."),
    "SPAM_MAX_LINKS_NEW_ACCOUNT": (2, "A post from a new account with more links than this waits for review."),
    "SPAM_REPEAT_WINDOW_HOURS": (24, "The same text posted again by the same member within this many hours waits for review."),
    "SPAM_BURST_POSTS": (8, "A member who already posted this many times in SPAM_BURST_SECONDS has the next post reviewed (0 = off)."),
    "SPAM_BURST_SECONDS": (60, "Window for SPAM_BURST_POSTS, in seconds."),
    "AUDIT_PER_PAGE": (50, "Rows per page of the staff audit log."),
    "SEED_DEMO": (True, "Seed the demo community when `make run` finds an empty database."),
    "LOG_LEVEL": ("INFO", "Logging level."),
    "LOG_FORMAT": ("text", "Log format: text, or json (one object a line, with the request id)."),
    "PROXY_FIX_HOPS": (0, "Number of reverse proxies in front; trusts their X-Forwarded-* headers."),
    "HSTS_MAX_AGE": (31_536_000, "Seconds browsers keep to https after an https response (its Strict-Transport-Security header; never sent over http). 0 sends max-age=0, which makes browsers forget it."),
    "HSTS_INCLUDE_SUBDOMAINS": (False, "Add includeSubDomains to Strict-Transport-Security: every subdomain must then serve https too."),
    "HSTS_PRELOAD": (False, "Add preload to Strict-Transport-Security (for the browsers' preload list); needs HSTS_INCLUDE_SUBDOMAINS and HSTS_MAX_AGE of a year or more, or the app refuses to start."),
    "SESSION_COOKIE_HOST_PREFIX": (False, "Name the session and remember-me cookies __Host-session and __Host-remember_token: always Secure, Path=/, no Domain, so no subdomain can set them. Only when every request arrives over https; refuses to start with SESSION_COOKIE_DOMAIN set."),
    "API_RATELIMIT": ("300 per minute;10000 per day", "Requests per API token to /api/v1 (requests without a valid token: per client address)."),
    **LIVE_SETTINGS,  # in the core block: live/config.py
}
SETTINGS: dict[str, tuple[Any, str]] = {
    **CORE_SETTINGS, **WEBHOOK_SETTINGS, **BRIDGE_SETTINGS, **METRICS_SETTINGS, **PAGE_CACHE_SETTINGS,
    **ATTACHMENT_SETTINGS, **IDENTITY_SETTINGS, **COMPOSER_SETTINGS,
}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, (list, dict)):
        return json.loads(raw)
    return raw


def load_settings(environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults, then COMMUNITY_* environment, then overrides (keys with or without the prefix)."""
    settings = {name: default for name, (default, _doc) in SETTINGS.items()}
    for name, (default, _doc) in SETTINGS.items():
        raw = environ.get(f"COMMUNITY_{name}")
        if raw is not None and raw != "":
            settings[name] = _coerce(raw, default)
    for key, value in (overrides or {}).items():
        settings[key.removeprefix("COMMUNITY_")] = value
    return settings


def ensure_instance(settings: dict[str, Any]) -> Path:
    instance = Path(settings["INSTANCE_PATH"] or PROJECT_ROOT / "instance")
    instance.mkdir(parents=True, exist_ok=True)
    settings["INSTANCE_PATH"] = str(instance)
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'community.db'}"
    if not settings["UPLOAD_DIR"]:
        settings["UPLOAD_DIR"] = str(instance / "uploads")
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(instance)
    if settings["REDIS_URL"] and settings["JOB_QUEUE"] == "inline" and "JOB_QUEUE" not in settings.get(
        "_explicit", ()
    ):
        settings["JOB_QUEUE"] = "rq"
    return instance


def _instance_secret(instance: Path) -> str:
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def explicit_keys(environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> set[str]:
    keys = {k.removeprefix("COMMUNITY_") for k in environ if k.startswith("COMMUNITY_")}
    keys |= {k.removeprefix("COMMUNITY_") for k in (overrides or {})}
    return keys


def from_environment(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    settings = load_settings(os.environ, overrides)
    settings["_explicit"] = explicit_keys(os.environ, overrides)
    ensure_instance(settings)
    settings.pop("_explicit")
    return settings
