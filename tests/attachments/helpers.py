"""Files for the attachment tests, made in memory, and an upload through the real route."""
from __future__ import annotations

import gzip
import io

import pillow_heif  # bound here, so a test that hides it from the app can still make HEICs
from PIL import Image


def png(size=(40, 20), color=(10, 200, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps(size=(60, 30), orientation=6) -> bytes:
    """A JPEG whose EXIF says: rotate 90° clockwise, and here is where it was taken."""
    image = Image.new("RGB", size, (200, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    gps = {1: "N", 2: (52.0, 13.0, 0.0), 3: "E", 4: (21.0, 0.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def heic_with_gps(size=(60, 30), orientation=6, mode="RGB") -> bytes:
    """A real HEIC from pillow-heif's encoder: red with a blue top-left corner, EXIF saying rotate
    90° clockwise (the encoder writes it as HEIF's own rotation too) and where it was taken."""
    image = Image.new(mode, size, (200, 20, 20, 128)[: len(mode)])
    image.paste((0, 0, 255, 255)[: len(mode)], (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SpyCam"
    exif[0x8825] = {1: "N", 2: (52.0, 13.0, 0.0), 3: "E", 4: (21.0, 0.0, 0.0)}
    out = io.BytesIO()
    # Bytes, not an Exif object: pillow-heif reads the orientation for its encoder from the bytes.
    pillow_heif.from_pillow(image).save(out, quality=90, exif=exif.tobytes())
    return out.getvalue()


def animated_gif(frames: int, size=(16, 16)) -> bytes:
    images = [Image.new("RGB", size, (index * 7 % 255, 0, 0)) for index in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=50, loop=0)
    return out.getvalue()


def gzip_bytes(text: bytes = b"hello") -> bytes:
    return gzip.compress(text)


def upload(client, data: bytes, name: str):
    return client.post("/attachments", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})
