"""Write the gateway's OpenAPI document, built from its route table (the same
document ``GET /openapi.json`` serves), to a file: the console's build
generates its API types from it (``make web``; docs/ARCHITECTURE.md#the-console).

    python -m scripts.openapi_dump web/openapi.json
"""
import json
import sys
from decimal import Decimal


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def document():
    """The gateway's OpenAPI document as JSON-able data, Decimals as numbers."""
    from gateway.openapi import build
    from gateway.service import Service
    return json.loads(json.dumps(build(Service), default=_number))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    target = argv[0] if argv else "web/openapi.json"
    with open(target, "w", encoding="utf-8") as out:
        json.dump(document(), out, indent=1, sort_keys=True)
        out.write("\n")
    print(f"openapi: wrote {target}")


if __name__ == "__main__":
    main()
