"""The edge's screen for hostile input, and the headers every answer carries.

What no route can accept is refused here, in one place, before any schema
or service sees it (a 400 or a 422 problem naming the field, never a 500):

- JSON nested deeper than ``MAX_DEPTH`` (Python's parser would recurse into
  a ``RecursionError``), ``NaN`` and ``Infinity`` (not JSON);
- a NUL character in any string, key, query or path value (PostgreSQL text
  cannot hold one), and a lone UTF-16 surrogate (``"\\ud800"``: no UTF-8
  encodes it, so the first ``encode()`` downstream fails);
- an integer outside the signed 64-bit range, in the body or as a query
  value (every integer column is at most a ``bigint``);
- a date or date-time outside the years ``MIN_YEAR``..``MAX_YEAR``: one at
  the end of Python's calendar (``9999-12-31T23:30Z``) overflows as soon as
  it is moved to a store's zone or a day on.

``secure(response)`` adds the headers of docs/API.md#conventions: ``nosniff``
on every answer, ``Cache-Control: no-store`` on JSON and problem answers, a
Content-Security-Policy on every HTML page that does not bring its own, and
``Retry-After`` on every 503.
"""
import json
import re

from werkzeug.exceptions import RequestEntityTooLarge

from chassis.errors import InvalidInput, ServiceError

MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
MIN_YEAR, MAX_YEAR = 1000, 9998
RETRY_AFTER_S = "5"
HTML_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE = re.compile(r"^([+-]?\d{4,})-\d{2}-\d{2}"
                   r"([Tt ]\d{2}(:\d{2}(:\d{2}([.,]\d+)?)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_JSON_TYPES = ("application/json", "application/problem+json")


class BadRequest(ServiceError):
    status = 400
    title = "Bad request"


def refuse(field, message):
    raise InvalidInput(f"{field}: {message}", {field: [message]})


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def parse_json(data):
    """The body's JSON, screened (400 when it is not JSON or too deep)."""
    if _depth(data) > MAX_DEPTH:
        raise BadRequest(f"the body is nested deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(data, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
    screen(value)
    return value


def read_json(request, too_large):
    """The request's JSON body (None when there is none); ``too_large`` is
    the exception for a body past the limit."""
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise too_large("the body is too large") from None
    return parse_json(data) if data else None


def _depth(data):
    """How deeply ``data`` (JSON bytes) nests, brackets in strings aside."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:          # backslash
                escaped = True
            elif byte == 0x22:          # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):      # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):      # ] }
            depth -= 1
    return deepest


def screen(value, where="body"):
    """Refuse what no route can accept anywhere in a parsed JSON value."""
    stack = [(where, value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                screen_text(key, f"{path}.{key[:40]}" if isinstance(key, str) else path)
                stack.append((f"{path}.{key}", item))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}", item) for i, item in enumerate(node))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if not INT64_MIN <= node <= INT64_MAX:
                refuse(_field(path), "an integer outside the signed 64-bit range")
        elif isinstance(node, str):
            screen_text(node, path)


def _field(path):
    return path[5:] if path.startswith("body.") else path


def screen_text(text, path, integers=False):
    field = _field(path)
    if "\x00" in text:
        refuse(field, "a NUL character is not allowed")
    if _SURROGATE.search(text):
        refuse(field, "a lone UTF-16 surrogate is not text")
    if integers and _INTEGER.match(text) and not INT64_MIN <= int(text) <= INT64_MAX:
        refuse(field, "an integer outside the signed 64-bit range")
    date = _DATE.match(text) if len(text) <= 40 else None
    if date and not MIN_YEAR <= int(date.group(1)) <= MAX_YEAR:
        refuse(field, f"a date outside the years {MIN_YEAR} to {MAX_YEAR}")


def screen_request(request):
    """The query and path values: the same rules as the body's strings."""
    for key, value in request.args.items(multi=True):
        screen_text(key, key)
        screen_text(value, key, integers=True)
    for key, value in (getattr(request, "path_values", None) or {}).items():
        if isinstance(value, str):
            screen_text(value, key)


def secure(response):
    """The headers every answer carries (see the module docstring)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype in _JSON_TYPES:
        headers.setdefault("Cache-Control", "no-store")
    elif response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", HTML_POLICY)
    if response.status_code == 503:
        headers.setdefault("Retry-After", RETRY_AFTER_S)
    return response
