"""Photos as the chain accepts them, shared by the gateway (which stores
uploads) and the workorders service (which keeps their records): the type
by the first bytes, the storage key of a photo and of its thumbnail, and the
thumbnail itself.

A photo is a JPEG, PNG or WebP by its magic bytes: the file's name or the
type a client declares proves nothing. Thumbnails are JPEG, at most
``THUMBNAIL_PX`` on their longer side, turned upright by the EXIF
orientation; Pillow's work is CPU-bound, so callers run ``thumbnail`` off
the event loop (``chassis.storage.run_off_loop``).
"""
from __future__ import annotations

import io
import uuid

from PIL import Image, ImageOps

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
THUMBNAIL_PX = 320
THUMBNAIL_TYPE = "image/jpeg"
MAX_PIXELS = 80_000_000   # a phone's 50 MP photo fits; a decompression bomb does not


class NotAnImage(ValueError):
    """Pillow could not read it as the image its first bytes announce."""


def sniff(data: bytes) -> str | None:
    """The image type by magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def new_photo_key(content_type: str) -> str:
    """A fresh key for a photo: ``ab/<32 hex>.jpg`` (two-level fan-out)."""
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}.{EXTENSIONS[content_type]}"


def thumbnail_key(key: str) -> str:
    """The key of a photo's thumbnail, beside it: ``ab/<hex>.thumb.jpg``."""
    return f"{key.rsplit('.', 1)[0]}.thumb.jpg"


def thumbnail(data: bytes, px: int = THUMBNAIL_PX) -> bytes:
    """A JPEG at most ``px`` on its longer side. Blocking: run it off the loop."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage(f"more than {MAX_PIXELS} pixels")
            image.draft("RGB", (px, px))        # JPEG: decode at a fraction of the size
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((px, px))
            if upright.mode != "RGB":
                background = Image.new("RGB", upright.size, "white")
                rgba = upright.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                upright = background
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue()
    except NotAnImage:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise NotAnImage(f"the image cannot be read: {exc}") from None
