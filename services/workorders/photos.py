"""Job photos: checked by their content, kept in the chain's object storage
(``chassis.storage``: a local folder or an S3-compatible bucket).

A photo is accepted only if its first bytes say JPEG, PNG or WebP (the name
or a declared type proves nothing) and it is no larger than
``PHOTO_MAX_BYTES`` (15 MiB; docs/ARCHITECTURE.md#rule-8). Large photos are
uploaded as multipart to the gateway, which stores them itself and sends
this service only their key (``attach_photo``); the base64 form in JSON (intake
photos, small ones) is decoded and stored here. Either way the files are
written before the database transaction opens and deleted if it fails
(``Staging``). Thumbnails are the gateway's: made at upload, or at the
first read of a photo that has none.
"""
import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from chassis.images import new_photo_key, sniff
from chassis.settings import setting
from chassis.storage import load as load_storage, open_store

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 15 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    photo_max_bytes: int


def load(get):
    """The photo settings from ``get(name, default)`` (``chassis.settings.setting``)."""
    return Settings(photo_max_bytes=int(get("PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)))


class PhotoRejected(ValueError):
    """Not an accepted image, or too large; the message says which."""


def decode(content_base64, max_bytes):
    """Bytes and type of an uploaded photo, or ``PhotoRejected``."""
    if len(content_base64) > (max_bytes // 3 + 2) * 4:  # too large before decoding it
        raise PhotoRejected(f"larger than the limit of {max_bytes} bytes")
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise PhotoRejected("not valid base64") from None
    if not data:
        raise PhotoRejected("empty")
    if len(data) > max_bytes:
        raise PhotoRejected(f"larger than the limit of {max_bytes} bytes")
    content_type = sniff(data)
    if content_type is None:
        raise PhotoRejected("not a JPEG, PNG or WebP image")
    return data, content_type


def new_key(content_type):
    return new_photo_key(content_type)


@dataclass
class StoredPhoto:
    key: str
    content_type: str
    size_bytes: int
    sha256: str


class Staging:
    """The files one request wrote: kept when its transaction commits,
    deleted when it does not (so bad input stores nothing)."""

    def __init__(self, store, max_bytes):
        self.store = store
        self.max_bytes = max_bytes
        self.written = []

    def check(self, content_base64):
        return decode(content_base64, self.max_bytes)

    def put(self, data, content_type):
        key = new_key(content_type)
        self.store.put(key, data, content_type)
        self.written.append(key)
        return StoredPhoto(key, content_type, len(data), hashlib.sha256(data).hexdigest())

    def get(self, key):
        return self.store.get(key)

    def discard(self):
        for key in self.written:
            try:
                self.store.delete(key)
            except Exception:  # an orphan file is harmless; a lost error message is not
                log.exception("could not delete photo %s after a failed request", key)
        self.written = []


class Photos(DependencyProvider):
    """A ``Staging`` per worker on the container's object store
    (``chassis.storage``); the settings are loaded once per container."""

    def __init__(self, store=None):
        self.store = store
        self.settings = None

    def setup(self):
        self.settings = load(setting)
        if self.store is None:
            self.store = open_store(load_storage(setting))

    def get_dependency(self, worker_ctx):
        return Staging(self.store, self.settings.photo_max_bytes)
