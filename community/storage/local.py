"""Uploads in a local folder (UPLOAD_DIR): the embedded default, one machine."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from . import valid_key

FILE_MODE = 0o640


class LocalStorage:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path | None:
        if not valid_key(key):
            return None
        return self.root / key

    def save(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_for(key)
        if path is None:
            raise ValueError(f"invalid storage key {key!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside and rename, so a reader (or a crash) never sees half a file.
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        # mkstemp makes it 0600; the group may read it too, so nginx in the app's group can send
        # attachments itself (ATTACHMENT_ACCEL_REDIRECT). Nobody else may.
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)

    def read(self, key: str) -> bytes | None:
        path = self.path_for(key)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()

    def delete(self, key: str) -> None:
        path = self.path_for(key)
        if path is not None:
            path.unlink(missing_ok=True)
