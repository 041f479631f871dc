"""The console (web/, docs/ARCHITECTURE.md#the-console): the gateway serves its
built files at ``/``, in front of the routes, as a WSGI wrapper.

- ``GET /`` (and ``/index.html``): the console's page, ``Cache-Control:
  no-cache`` (a new build shows at the next load) and a CSP that allows only
  the gateway's own scripts (no inline script, nothing from elsewhere);
- ``GET /assets/<name>``: the build's hashed files, cached for a year as
  immutable (a new build has new names); an unknown name falls through to the
  routes (a problem+json 404);
- ``GET /sw.js``: the console's service worker (the app shell offline, for
  the counter), ``no-cache`` so a new build's worker is found at the next
  load; same-origin, so the CSP's ``script-src 'self'`` allows it;
- ``GET /docs``: the API console for integrators (Swagger UI, from the same
  build: sign in with ``POST /auth/token`` and every call after it is
  authorized); without a build, the gateway's own self-contained page;
- without a build, ``/`` answers a plain page saying how to make one
  (``make web``), never an error.
"""
import mimetypes
import re
from pathlib import Path

from werkzeug.wrappers import Request, Response

BUILD = Path(__file__).resolve().parent.parent / "web" / "dist"
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
          "frame-ancestors 'none'")
IMMUTABLE = "public, max-age=31536000, immutable"
_ASSET = re.compile(r"^/assets/([A-Za-z0-9][A-Za-z0-9._-]{0,199})$")
_PAGES = ("/", "/index.html")
_DOCS = "/docs"
_WORKER = "/sw.js"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The console is not built</title></head>
<body><h1>The console is not built yet</h1>
<p>The gateway serves the console from <code>web/dist</code>, which is missing.
Build it with <code>make web</code> (or <code>make run</code>, which builds it first),
then reload this page.</p>
<p>The API is up meanwhile: <a href="/docs">/docs</a>, <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
"""


def _headers(response, cache):
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = POLICY
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def page(build):
    index = build / "index.html"
    if not index.is_file():
        return _headers(Response(NOT_BUILT, mimetype="text/html"), "no-cache")
    return _headers(Response(index.read_bytes(), mimetype="text/html"), "no-cache")


def asset(build, name):
    """The built file ``name`` under ``assets/``, or None."""
    folder = (build / "assets").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return _headers(Response(path.read_bytes(), mimetype=mimetype), IMMUTABLE)


class Middleware:
    """Answers the console's paths; every other request goes to ``app``."""

    def __init__(self, app, build=BUILD):
        self.app = app
        self.build = Path(build)

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        if request.method in ("GET", "HEAD"):
            path = request.path
            if path in _PAGES:
                return page(self.build)(environ, start_response)
            if path == _DOCS and (self.build / "docs.html").is_file():
                docs = Response((self.build / "docs.html").read_bytes(), mimetype="text/html")
                return _headers(docs, "no-cache")(environ, start_response)
            if path == _WORKER and (self.build / "sw.js").is_file():
                worker = Response((self.build / "sw.js").read_bytes(), mimetype="text/javascript")
                return _headers(worker, "no-cache")(environ, start_response)
            match = _ASSET.match(path)
            response = asset(self.build, match.group(1)) if match else None
            if response is not None:
                return response(environ, start_response)
        return self.app(environ, start_response)
