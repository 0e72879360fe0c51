"""Ingest + classify throughput of the X bridge: import the TWCS sample (5,000 rows, read in place from
../shared/data/tweets/twcs_sample.csv; BENCH_INGEST_DATA overrides) into a fresh SQLite database with
the active (rules + VADER) classifier, and report posts per second. Target: at least 1,000 posts/s.

Three figures: the whole import (parse + dedupe + classify + store, counting every row read), the
inbound posts actually classified and stored per second, and an idempotent re-import (all duplicates).
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import Base  # noqa: E402
from community.bridge.ingest import import_export  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tweets" / "twcs_sample.csv"
DATA = Path(os.environ.get("BENCH_INGEST_DATA", DEFAULT_DATA))
TARGET = 1000


def main() -> int:
    if not DATA.exists():
        print(f"no data file at {DATA}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "INSTANCE_PATH": tmp,
                          "SECRET_KEY": "bench", "SEED_DEMO": False, "LOG_LEVEL": "WARNING",
                          "X_BRAND_HANDLE": "AmazonHelp"})
        with app.app_context():
            Base.metadata.create_all(db.engine)
            started = time.perf_counter()
            counts = import_export(DATA)
            first = time.perf_counter() - started
            started = time.perf_counter()
            again = import_export(DATA)
            second = time.perf_counter() - started
    rows_per_second = counts.fetched / first
    print(f"import of {DATA.name}: {counts.summary()} in {first:.2f}s")
    print(f"  rows read:         {rows_per_second:,.0f} rows/s")
    print(f"  posts classified+stored: {counts.stored / first:,.0f} posts/s")
    print(f"re-import (idempotent): {again.summary()} in {second:.2f}s ({again.fetched / second:,.0f} rows/s)")
    verdict = "meets" if counts.stored / first >= TARGET else "BELOW"
    print(f"{verdict} the target of {TARGET:,} stored posts/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
