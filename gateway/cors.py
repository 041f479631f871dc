"""CORS (docs/API.md#conventions): browsers on other origins may call the API
only from the origins in ``CORS_ORIGINS`` (comma-separated exact origins such
as ``https://pos.example.com``; default none: no CORS header at all).

For a configured origin a preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is answered 204 with the methods, the
headers the API reads (``Authorization``, ``Content-Type``,
``Idempotency-Key``, ``X-Store-Id``, ``X-Request-ID``) and a max-age, and
every answer echoes that one origin in ``Access-Control-Allow-Origin``. Never
``*``, and no ``Access-Control-Allow-Credentials``: the API takes a bearer
token, not cookies. Any other origin gets no CORS header (its preflight falls
through to the routes: 405 or 404). When origins are configured every answer
carries ``Vary: Origin`` (caches keep one copy per origin).

``Middleware`` wraps the gateway's WSGI app (``http.GatewayWebServer``).
"""
from urllib.parse import urlsplit

from werkzeug.wrappers import Response

METHODS = "GET, POST, PUT, PATCH, DELETE"
HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Store-Id, X-Request-ID"
EXPOSED = "Retry-After, Idempotent-Replayed, X-Request-ID, Location"
MAX_AGE_S = "600"


def origins(value):
    """``CORS_ORIGINS`` as a set of exact origins; a malformed one (a path, a
    wildcard, no scheme) is refused at start rather than silently never matching."""
    found = set()
    for item in str(value or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or "*" in item \
                or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError(f"CORS_ORIGINS: {item!r} is not an origin like https://pos.example.com")
        found.add(f"{parts.scheme}://{parts.netloc.lower()}")
    return frozenset(found)


def allowed(environ, configured):
    """The request's ``Origin`` when it is one of ``configured``, else None."""
    origin = environ["HTTP_ORIGIN"] if "HTTP_ORIGIN" in environ else None   # a WSGI environ
    return origin if origin and origin in configured else None


def is_preflight(environ):
    return environ["REQUEST_METHOD"] == "OPTIONS" and \
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ


def preflight(origin):
    """The 204 answer to an allowed origin's preflight."""
    response = Response(status=204)
    response.headers.update({
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": METHODS,
        "Access-Control-Allow-Headers": HEADERS,
        "Access-Control-Max-Age": MAX_AGE_S,
        "Vary": "Origin",
    })
    return response


def add_headers(headers, origin):
    """Headers (a list of pairs, as WSGI has them) with the CORS ones added."""
    headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
    if not any(k.lower() == "vary" and "origin" in v.lower() for k, v in headers):
        headers.append(("Vary", "Origin"))
    if origin:
        headers += [("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Expose-Headers", EXPOSED)]
    return headers


class Middleware:
    """WSGI: answers allowed preflights, adds the CORS headers to the rest."""

    def __init__(self, app, configured, secure=lambda response: response):
        self.app = app
        self.configured = frozenset(configured)
        self.secure = secure

    def __call__(self, environ, start_response):
        if not self.configured:
            return self.app(environ, start_response)
        origin = allowed(environ, self.configured)
        if origin and is_preflight(environ):
            return self.secure(preflight(origin))(environ, start_response)

        def start(status, headers, exc_info=None):
            return start_response(status, add_headers(headers, origin), exc_info)

        return self.app(environ, start)
