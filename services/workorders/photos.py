"""Job photos: checked by their content, stored behind one small interface.

``PhotoStore`` is what the service needs of a store of files (put, get,
delete by key); ``FilesystemPhotoStore`` keeps them under a directory
(setting ``PHOTO_DIR``). An object-storage implementation is another class
with the same three methods.

A photo is accepted only if its first bytes say JPEG, PNG or WebP (the name
or a declared type proves nothing) and it is no larger than
``PHOTO_MAX_BYTES`` (docs/ARCHITECTURE.md#rule-8). Both settings are read
the chain's one way (``chassis.settings``), once per container.
"""
import base64
import binascii
import hashlib
import logging
import os
import re
import tempfile
import uuid
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from chassis.settings import setting

log = logging.getLogger(__name__)

DEFAULT_DIR = os.path.join("var", "photos")
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.(jpg|png|webp)$")


@dataclass(frozen=True)
class Settings:
    photo_dir: str
    photo_max_bytes: int


def load(get):
    """The photo settings from ``get(name, default)`` (``chassis.settings.setting``)."""
    return Settings(photo_dir=str(get("PHOTO_DIR", DEFAULT_DIR)),
                    photo_max_bytes=int(get("PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES)))


class PhotoRejected(ValueError):
    """Not an accepted image, or too large; the message says which."""


def sniff(data):
    """The image type by magic bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


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


class PhotoStore:
    """Where photo files live; keys are opaque names this module makes."""

    def put(self, key, data, content_type):
        raise NotImplementedError

    def get(self, key):
        raise NotImplementedError

    def delete(self, key):
        raise NotImplementedError


class FilesystemPhotoStore(PhotoStore):
    """Files under one directory, two-level fan-out, written atomically."""

    def __init__(self, directory):
        self.directory = os.path.abspath(directory)

    def _path(self, key):
        if not _KEY.match(key):
            raise ValueError(f"not a photo key: {key!r}")
        return os.path.join(self.directory, *key.split("/"))

    def put(self, key, data, content_type):
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(self, key):
        with open(self._path(key), "rb") as handle:
            return handle.read()

    def delete(self, key):
        try:
            os.unlink(self._path(key))
        except FileNotFoundError:
            pass


def new_key(content_type):
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}.{EXTENSIONS[content_type]}"


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
    """A ``Staging`` per worker on the container's ``PhotoStore``; the
    settings are loaded once per container (``load(setting)``)."""

    def __init__(self, store=None):
        self.store = store
        self.settings = None

    def setup(self):
        self.settings = load(setting)
        if self.store is None:
            self.store = FilesystemPhotoStore(self.settings.photo_dir)

    def get_dependency(self, worker_ctx):
        return Staging(self.store, self.settings.photo_max_bytes)
