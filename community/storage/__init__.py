"""Where uploaded files live: a small interface with a local-folder and an S3-compatible backend.

Services store and read uploads by key ("avatars/7-ab12.png", "brand/logo-….png") through
`storage()`, never by path, so several app processes on several machines can share one store.
The default is the UPLOAD_DIR folder; STORAGE_BACKEND=s3 with the S3_* settings selects any
S3-compatible store (AWS S3, MinIO, Ceph, ...). Only community/storage/s3.py imports boto3.
"""
from __future__ import annotations

import re
from typing import Protocol

from flask import Flask, current_app

# Keys are folder/name made of safe characters only: no "..", no absolute paths, no backslashes.
KEY_RE = re.compile(r"[a-z]+/[A-Za-z0-9][A-Za-z0-9._-]{0,120}")


class Storage(Protocol):
    def save(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class StorageError(RuntimeError):
    """The store could not be reached or refused the operation."""


def valid_key(key: str | None) -> bool:
    return bool(key) and KEY_RE.fullmatch(key) is not None and ".." not in key


def build_storage(config) -> Storage:
    backend = str(config.get("STORAGE_BACKEND") or "local").lower()
    if backend == "s3":
        from .s3 import S3Storage

        return S3Storage.from_config(config)
    if backend != "local":
        raise ValueError(f"Unknown STORAGE_BACKEND {backend!r}: use local or s3.")
    from .local import LocalStorage

    return LocalStorage(config["UPLOAD_DIR"])


def storage(app: Flask | None = None) -> Storage:
    """The app's store, built on first use."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("community.storage")
    if store is None:
        store = app.extensions["community.storage"] = build_storage(app.config)
    return store
