"""Regenerate migrations/versions/0001_initial.py from the models.

Only for the pre-release phase, while no database outside development exists: once a release
ships, schema changes get their own migration (`flask community db revision -m ...`).
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402

VERSIONS = ROOT / "migrations" / "versions"


def main() -> None:
    (VERSIONS / "0001_initial.py").unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Hand-written later migrations (triggers and the like, 0002+) are set aside while 0001 is
        # generated from an empty database, then put back on top of it.
        kept = Path(tmp) / "kept"
        kept.mkdir()
        for later in VERSIONS.glob("*.py"):
            later.rename(kept / later.name)
        try:
            app = create_app({"INSTANCE_PATH": tmp, "DATABASE_URL": f"sqlite:///{tmp}/gen.db", "LOG_LEVEL": "WARNING"})
            with app.app_context():
                migrate.revision(db.engine, "initial schema")
        finally:
            for later in kept.glob("*.py"):
                later.rename(VERSIONS / later.name)
    generated = next(VERSIONS.glob("*_initial_schema.py"))
    text = generated.read_text()
    old_id = re.search(r"^revision = '(\w+)'", text, re.M).group(1)
    text = text.replace(old_id, "0001").replace("Create Date:", "Create Date (regenerated):")
    (VERSIONS / "0001_initial.py").write_text(text)
    generated.unlink()
    print("wrote migrations/versions/0001_initial.py")


if __name__ == "__main__":
    main()
