"""Validation at every entry (docs/ARCHITECTURE.md#rule-8): marshmallow errors become
``InvalidInput`` with messages field by field."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from .errors import InvalidInput


def load(schema: Schema, data: Any, **kwargs: Any) -> Any:
    if not isinstance(data, dict) and not kwargs.get("many"):
        raise InvalidInput("a JSON object is required", {"_schema": ["a JSON object is required"]})
    try:
        return schema.load(data, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", _flatten(exc.messages)) from None


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """{'metal': {'karat': [..]}} -> {'metal.karat': [..]} for clients."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, list):
        out[prefix or "_schema"] = [str(m) for m in messages]
        return out
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, name))
        else:
            out[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return out


def uuid_arg(value: object, field: str = "id") -> str:
    """An id argument as a canonical UUID string, or a 422 naming the field."""
    import uuid
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidInput("not a valid id", {field: ["not a valid UUID"]}) from None
