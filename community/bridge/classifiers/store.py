"""Trained classifiers on disk: instance/classifiers/<name>.joblib, <name>.json, and active.json.

Models are pickles (joblib), and loading a pickle runs code, so only files under the instance
folder are ever loaded, under names checked against NAME_PATTERN (no paths, no dots). The
instance folder is as trusted as the secret key that lives beside it.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import NotFound, ValidationFailed

if TYPE_CHECKING:  # scikit-learn and joblib load only in processes that use a trained model
    from .trained import TrainedClassifier

RULES = "rules"
FOLDER = "classifiers"
ACTIVE_FILE = "active.json"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_RESERVED = {RULES, "active"}


@dataclass(frozen=True)
class ModelCard:
    """What <name>.json says about a trained model."""

    name: str
    version: str
    trained_at: str
    rows: int
    label_counts: dict[str, int]
    cross_validation: dict[str, Any] | None  # None when too few examples to hold any out
    sklearn_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name) or name in _RESERVED:
        raise ValidationFailed(
            f"invalid classifier name {name!r}: use 1-64 lower-case letters, digits, '-' or '_' "
            f"(not {' or '.join(sorted(_RESERVED))})."
        )
    return name


class ClassifierStore:
    def __init__(self, instance_path: str | os.PathLike[str]) -> None:
        self.folder = Path(instance_path) / FOLDER

    def save(self, card: ModelCard, pipeline: Any) -> None:
        import joblib

        self.folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(self._model_path(card.name), lambda handle: joblib.dump(pipeline, handle))
        _write_atomically(self._card_path(card.name), lambda handle: handle.write(_json_bytes(asdict(card))))

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(path.stem for path in self.folder.glob("*.json") if path.name != ACTIVE_FILE)

    def card(self, name: str) -> ModelCard:
        path = self._card_path(name)
        if not path.is_file() or not self._model_path(name).is_file():
            raise NotFound(f"no classifier named {name!r}; choose {self._choices()}.")
        try:
            return ModelCard(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as error:  # hand-edited or from a newer release
            message = f"{path.name} is not a readable model card ({error}); train {name!r} again."
            raise ValidationFailed(message) from error

    def load(self, name: str) -> TrainedClassifier:
        from .trained import TrainedClassifier

        card = self.card(name)
        path = self._model_path(name)
        try:
            pipeline = _load_pipeline(str(path), path.stat().st_mtime_ns)
        except Exception as error:  # a truncated or foreign file: say which, do not crash the caller
            raise ValidationFailed(f"classifier {name!r} cannot be loaded ({error}); train it again.") from error
        return TrainedClassifier(pipeline, card.version)

    def active_name(self) -> str:
        path = self.folder / ACTIVE_FILE
        if not path.is_file():
            return RULES
        try:
            return str(json.loads(path.read_text(encoding="utf-8"))["name"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValidationFailed(f"{path} is unreadable ({error}); run `flask bridge use NAME`.") from error

    def activate(self, name: str, version: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"name": name, "version": version, "activated_at": now_iso()}
        _write_atomically(self.folder / ACTIVE_FILE, lambda handle: handle.write(_json_bytes(record)))

    def _choices(self) -> str:
        return ", ".join(repr(name) for name in [RULES, *self.names()])

    def _model_path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.joblib"

    def _card_path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.json"


@lru_cache(maxsize=8)
def _load_pipeline(path: str, mtime_ns: int) -> Any:
    # Keyed on the modification time so a retrained model under the same name is picked up.
    import joblib

    return joblib.load(path)


def _write_atomically(target: Path, write) -> None:
    # Readers (the worker classifying ingested posts) must never see half a model.
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False)
    try:
        with handle:
            write(handle)
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
