"""Validation at every entry (docs/ARCHITECTURE.md#rule-8): marshmallow errors become
``InvalidInput`` with messages field by field.

Integers from a caller (prices, amounts, limits, quantities, points) end in
PostgreSQL ``BIGINT`` columns, often after sums (a sale's lines, its tax). So
every integer that ``load`` returns, and every integer argument read with
``int_arg``, lies within ``SAFE_INT``: the largest integer every JSON reader
keeps exactly (2**53 - 1), far below ``BIGINT``'s 2**63 - 1, so that sums of
hundreds of such values still fit the column. Past it a caller gets an
``InvalidInput`` naming the field, never the database's out-of-range error,
whoever calls (the gateway, or another service over RPC)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from marshmallow import Schema, ValidationError

from .errors import InvalidInput

SAFE_INT = 2 ** 53 - 1
OUT_OF_RANGE = f"must be between {-SAFE_INT} and {SAFE_INT}"


def load(schema: Schema, data: Any, **kwargs: Any) -> Any:
    if not isinstance(data, dict) and not kwargs.get("many"):
        raise InvalidInput("a JSON object is required", {"_schema": ["a JSON object is required"]})
    try:
        loaded = schema.load(data, **kwargs)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields", _flatten(exc.messages)) from None
    wide = dict(_out_of_range(loaded))
    if wide:
        raise InvalidInput("the request has invalid fields", wide)
    return loaded


def _out_of_range(value: Any, path: str = "") -> Iterator[tuple[str, list[str]]]:
    """(field, message) for every integer in ``value`` outside ``SAFE_INT``."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -SAFE_INT <= value <= SAFE_INT:
            yield path or "_schema", [OUT_OF_RANGE]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _out_of_range(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _out_of_range(item, f"{path}.{index}" if path else str(index))


def int_arg(value: object, field: str, low: int = -SAFE_INT, high: int = SAFE_INT) -> int:
    """A whole-number RPC argument between ``low`` and ``high``, or a 422
    naming the field (a numeric string is read as its number, as a query
    parameter would be)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidInput(f"{field} is not a whole number", {field: ["not a whole number"]})
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput(f"{field} is not a whole number", {field: ["not a whole number"]}) from None
    if not low <= number <= high:
        raise InvalidInput(f"{field} is out of range", {field: [f"must be between {low} and {high}"]})
    return number


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
