"""An answer checked against the marshmallow schema a route declares: every
field there unless marked ``optional``, ``null`` only where ``allow_none``,
each value of the field's type (nested schemas too)."""
from marshmallow import ValidationError, fields


def problems(schema_cls, data, where="answer"):
    """What in ``data`` disagrees with ``schema_cls``, as readable lines."""
    if not isinstance(data, dict):
        return [f"{where} is {data!r}, not an object"]
    found = []
    for name, field in schema_cls().fields.items():
        path = f"{where}.{name}"
        if name not in data:
            if not (field.metadata or {}).get("optional"):
                found.append(f"{path} missing")
        elif data[name] is None:
            if not field.allow_none:
                found.append(f"{path} is null")
        elif isinstance(field, fields.Nested):
            found += problems(type(field.schema), data[name], path)
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            for i, value in enumerate(data[name]):
                found += problems(type(field.inner.schema), value, f"{path}[{i}]")
        else:
            try:
                field.deserialize(data[name])
            except ValidationError as exc:
                found.append(f"{path} = {data[name]!r}: {exc.messages}")
    return found
