"""Errors a service raises on purpose; they cross RPC as themselves.

The gateway turns them into problem+json: ``status`` is the HTTP status.
Registered with nameko's ``deserialize_to_instance`` so the caller receives
the same class, with the same arguments, instead of a bare RemoteError.
"""
from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, detail: Any = "", *args: Any) -> None:
        super().__init__(detail, *args)
        self.detail = detail


@deserialize_to_instance
class NotFound(ServiceError):
    status = 404
    title = "Not found"


@deserialize_to_instance
class Conflict(ServiceError):
    status = 409
    title = "Conflict"


@deserialize_to_instance
class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


@deserialize_to_instance
class InvalidInput(ServiceError):
    """Bad input; ``errors`` maps each field to its messages."""

    status = 422
    title = "Invalid input"

    def __init__(self, detail: Any = "", errors: dict[str, Any] | None = None) -> None:
        super().__init__(detail, errors or {})
        self.errors: dict[str, Any] = errors or {}


@deserialize_to_instance
class Unavailable(ServiceError):
    status = 503
    title = "Service unavailable"


EXPECTED = (NotFound, Conflict, Forbidden, InvalidInput)
