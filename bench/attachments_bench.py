"""Attachments benchmark (`make bench-attachments`): figures printed, never asserted.

Upload time through POST /attachments (the test client, local folder store, SQLite) for
- a photo of about BENCH_PHOTO_MB MB (default 4: a noisy JPEG, so it stays that large), decoded,
  turned upright, re-encoded and thumbnailed by Pillow;
- the same pixels as a HEIC (pillow-heif's encoder; a phone's photo), decoded and stored as JPEG;
- a log file of BENCH_FILE_MB MB (default 20): read, checked as UTF-8 text, stored.
Median and worst of BENCH_REPEAT uploads each. Prove it runs with BENCH_PHOTO_MB=0.1 BENCH_FILE_MB=0.1.
"""
from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pillow_heif  # noqa: E402
from PIL import Image  # noqa: E402

from community import create_app, migrate  # noqa: E402
from community.extensions import db  # noqa: E402
from community.models import User, utcnow  # noqa: E402

PHOTO_MB = float(os.environ.get("BENCH_PHOTO_MB", 4))
FILE_MB = float(os.environ.get("BENCH_FILE_MB", 20))
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))


def noise(target_bytes: int) -> tuple[Image.Image, Image.Exif]:
    """Random pixels for a JPEG near `target_bytes` (noise barely compresses: ~1 byte a pixel at
    quality 92), and EXIF saying the camera was held sideways: the upload has to turn it upright."""
    side = max(16, int((target_bytes / 0.95) ** 0.5))
    rng = random.Random(7)
    image = Image.frombytes("RGB", (side * 3 // 2, side * 2 // 3), rng.randbytes(side * 3 // 2 * (side * 2 // 3) * 3))
    exif = Image.Exif()
    exif[0x0112] = 6
    return image, exif


def noisy_jpeg(target_bytes: int) -> bytes:
    image, exif = noise(target_bytes)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


def noisy_heic(target_bytes: int) -> bytes:
    """The same pixels as noisy_jpeg as a HEIC (its size is what the encoder makes of them)."""
    image, exif = noise(target_bytes)
    out = io.BytesIO()
    pillow_heif.from_pillow(image).save(out, quality=90, exif=exif.tobytes())
    return out.getvalue()


def log_text(target_bytes: int) -> bytes:
    line = b"2026-12-07T10:00:00Z worker-3 INFO request handled in 12 ms path=/api/v1/threads status=200\n"
    return (line * (target_bytes // len(line) + 1))[:target_bytes]


def timed(client, data: bytes, name: str) -> list[float]:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.post("/attachments", data={"file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data", headers={"Accept": "application/json"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 201, response.get_data(as_text=True)
    return times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{folder}/bench.db", "INSTANCE_PATH": f"{folder}/instance",
            "SEARCH_INDEX_DIR": f"{folder}/index", "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False, "SEED_DEMO": False, "LOG_LEVEL": "WARNING", "SCHEDULER": "off",
            "ATTACHMENT_DAILY_QUOTA_BYTES": 10**12,
        })
        with app.app_context():
            migrate.upgrade(db.engine)
            user = User(username="bench", email="bench@example.com", email_normalized="bench@example.com",
                        display_name="Bench", password_hash="x", email_verified_at=utcnow())
            db.session.add(user)
            db.session.commit()
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = user.get_id(), True
            photo = noisy_jpeg(int(PHOTO_MB * 1024 * 1024))
            heic = noisy_heic(int(PHOTO_MB * 1024 * 1024))
            log = log_text(int(FILE_MB * 1024 * 1024))
            print(f"load average {os.getloadavg()[0]:.2f}; {REPEAT} uploads each, local folder, SQLite")
            uploads = (("photo (JPEG, re-encoded)", photo, "photo.jpg"), ("photo (HEIC, stored as JPEG)", heic, "IMG_0001.HEIC"),
                       ("file (.log)", log, "big.log"))
            for label, data, name in uploads:
                times = timed(client, data, name)
                print(f"{label}: {len(data) / 1024 / 1024:.2f} MB  median {statistics.median(times) * 1000:.0f} ms"
                      f"  worst {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
