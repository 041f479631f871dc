"""Object storage, one interface for every service (docs/ARCHITECTURE.md#object-storage):
``put(key, data, content_type)``, ``get(key)``, ``delete(key)``.

Two implementations, chosen by ``STORAGE_BACKEND``:

- ``local`` (the default, for ``make run``): files under ``STORAGE_DIR``
  (``PHOTO_DIR``, its old name, still read), written atomically (a temporary
  file, fsync, rename). Disk I/O blocks a whole process under eventlet
  (monkey patching makes sockets green, not files), so every call runs in
  eventlet's pool of real threads (``eventlet.tpool.execute``).
- ``s3``: any S3-compatible store through boto3: ``S3_BUCKET``,
  ``S3_ENDPOINT_URL`` (empty: AWS itself), ``S3_REGION``; credentials the
  standard way of the AWS SDKs (``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY`` in the environment, or the pod's role), never a
  setting of ours. boto3's calls are *green*: they run in the calling
  greenthread, since their I/O is sockets, which the processes monkey patch
  (``chassis.run``), so they wait without blocking other workers; botocore's
  connection pool is not shared with real threads, which it would be under
  ``tpool``. An object is one ``PutObject``, streamed from a file object
  (no transfer manager: its threads are not needed below 5 GB).

Keys are relative names of ``[A-Za-z0-9._-]`` parts separated by ``/``
(never ``..``): the same key names the same object under either backend.
``get`` of a missing key raises ``KeyError`` (``Missing``); a store that
cannot be reached or written (S3 down or refusing, a full or read-only disk)
raises ``chassis.errors.Unavailable`` (503), the cause logged.

``Storage()`` is the dependency provider: one backend per container
(settings read once, at setup), the same object for every worker.
"""
from __future__ import annotations

import functools
import io
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from typing import IO, Any, Callable, Protocol, TypeVar, Union

from eventlet import tpool
from nameko.extensions import DependencyProvider

from .errors import Unavailable
from .settings import Getter, setting

T = TypeVar("T")
log = logging.getLogger(__name__)
Data = Union[bytes, IO[bytes]]
DEFAULT_DIR = os.path.join("var", "storage")
BACKENDS = ("local", "s3")
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
_CHUNK = 1024 * 1024


class Missing(KeyError):
    """No object under this key."""


class BadKey(ValueError):
    """Not a key this module accepts."""


def check_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > 512 or not _KEY.match(key) or ".." in key.split("/"):
        raise BadKey(f"not a storage key: {key!r}")
    return key


class ObjectStore(Protocol):
    def put(self, key: str, data: Data, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class Settings:
    backend: str
    directory: str
    bucket: str | None
    endpoint_url: str | None
    region: str | None


def load(get: Getter = setting) -> Settings:
    """The storage settings from ``get(name, default)``."""
    backend = str(get("STORAGE_BACKEND", "local")).strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
    directory = get("STORAGE_DIR", None) or get("PHOTO_DIR", None) or DEFAULT_DIR  # the old name
    bucket = get("S3_BUCKET", None)
    if backend == "s3" and not bucket:
        raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
    return Settings(backend=backend, directory=str(directory),
                    bucket=str(bucket) if bucket else None,
                    endpoint_url=get("S3_ENDPOINT_URL", None) or None,
                    region=get("S3_REGION", None) or None)


def _chunks(data: Data) -> Any:
    if isinstance(data, (bytes, bytearray, memoryview)):
        yield bytes(data)
        return
    while True:
        chunk = data.read(_CHUNK)
        if not chunk:
            return
        yield chunk


class LocalFolder:
    """Objects as files under one directory. Blocking: wrap in ``OffLoop``."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)

    def path(self, key: str) -> str:
        return os.path.join(self.directory, *check_key(key).split("/"))

    def put(self, key: str, data: Data, content_type: str) -> None:
        path = self.path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in _chunks(data):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(self, key: str) -> bytes:
        try:
            with open(self.path(key), "rb") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise Missing(key) from None

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            pass


def _unavailable(what: str, exc: BaseException) -> Unavailable:
    log.error("object storage unavailable (%s): %s", what, exc)
    return Unavailable("the object storage is unavailable")


class OffLoop:
    """A blocking store's calls in eventlet's thread pool, off the event loop."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def put(self, key: str, data: Data, content_type: str) -> None:
        try:
            tpool.execute(self.store.put, key, data, content_type)
        except OSError as exc:
            raise _unavailable(f"writing {key}", exc) from exc

    def get(self, key: str) -> bytes:
        try:
            return run_off_loop(self.store.get, key)
        except Missing:
            raise
        except OSError as exc:
            raise _unavailable(f"reading {key}", exc) from exc

    def delete(self, key: str) -> None:
        try:
            tpool.execute(self.store.delete, key)
        except OSError as exc:
            raise _unavailable(f"deleting {key}", exc) from exc


def run_off_loop(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a real thread (CPU or disk work: Pillow, files);
    the greenthread waits, the others run."""
    result: T = tpool.execute(fn, *args)
    return result


def _s3_call(fn: Callable[..., T]) -> Callable[..., T]:
    """botocore's failures as ``Missing`` (no such key) or ``Unavailable``."""
    @functools.wraps(fn)
    def call(self: "S3Bucket", key: str, *args: Any) -> T:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return fn(self, key, *args)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise Missing(key) from None
            raise _unavailable(f"{fn.__name__} {key}", exc) from exc
        except BotoCoreError as exc:
            raise _unavailable(f"{fn.__name__} {key}", exc) from exc
    return call


class S3Bucket:
    """Objects in one bucket of an S3-compatible store (green: see the module)."""

    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None,
                 client: Any = None, attempts: int = 3) -> None:
        self.bucket = bucket
        if client is None:
            import boto3
            from botocore.config import Config
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url, region_name=region,
                config=Config(retries={"max_attempts": attempts, "mode": "standard"},
                              connect_timeout=5, read_timeout=30))
        self.client = client

    @_s3_call
    def put(self, key: str, data: Data, content_type: str) -> None:
        body = io.BytesIO(bytes(data)) if isinstance(data, (bytes, bytearray, memoryview)) else data
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=body,
                               ContentType=content_type)

    @_s3_call
    def get(self, key: str) -> bytes:
        answer = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
        body = answer["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    @_s3_call
    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))


def open_store(settings: Settings) -> ObjectStore:
    """The store the settings name, safe to call from a greenthread."""
    if settings.backend == "s3":
        assert settings.bucket is not None
        return S3Bucket(settings.bucket, settings.endpoint_url, settings.region)
    return OffLoop(LocalFolder(settings.directory))


class Storage(DependencyProvider):  # type: ignore[misc]
    """The container's object store; ``Storage(store)`` to give one (tests)."""

    def __init__(self, store: ObjectStore | None = None) -> None:
        self.store = store

    def setup(self) -> None:
        if self.store is None:
            self.store = open_store(load(setting))

    def get_dependency(self, worker_ctx: Any) -> ObjectStore | None:
        return self.store
