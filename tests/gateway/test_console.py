"""Issue 18: the gateway serves the console's build at ``/`` (gateway/console.py):
the page uncached with a CSP that allows no inline script, the hashed assets
immutable, a page saying how to build it when the build is missing, and every
other path left to the routes."""
from werkzeug.test import Client
from werkzeug.wrappers import Response

from gateway import console

INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12.js"></script></head></html>'


def routes(environ, start_response):
    """Stands for the gateway's routes: says it was reached."""
    return Response('{"from": "routes"}', status=404, mimetype="application/problem+json")(
        environ, start_response)


def built(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "index-Ab12.js").write_text("console.log('counter')")
    (tmp_path / "assets" / "index-Cd34.css").write_text("body{margin:0}")
    (tmp_path / "secret.txt").write_text("not an asset")
    return Client(console.Middleware(routes, tmp_path))


def test_the_page_is_served_uncached_with_a_policy_that_allows_no_inline_script(tmp_path):
    client = built(tmp_path)
    for path in ("/", "/index.html"):
        reply = client.get(path)
        assert reply.status_code == 200 and reply.mimetype == "text/html"
        assert reply.get_data(as_text=True) == INDEX
        assert reply.headers["Cache-Control"] == "no-cache"
        policy = reply.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"      # no 'unsafe-inline', no other host
        assert directives["frame-ancestors"] == "'none'"
        assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_hashed_assets_are_immutable_with_their_types(tmp_path):
    client = built(tmp_path)
    script = client.get("/assets/index-Ab12.js")
    assert script.status_code == 200 and script.get_data(as_text=True) == "console.log('counter')"
    assert "javascript" in script.mimetype
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    style = client.get("/assets/index-Cd34.css")
    assert style.mimetype == "text/css" and "immutable" in style.headers["Cache-Control"]
    assert client.head("/assets/index-Ab12.js").status_code == 200


def test_unknown_assets_other_files_and_other_paths_go_to_the_routes(tmp_path):
    client = built(tmp_path)
    for path in ("/assets/missing.js", "/assets/../secret.txt", "/assets/%2e%2e/secret.txt",
                 "/secret.txt", "/assets/", "/health", "/items/by-tag/R1"):
        reply = client.get(path)
        assert reply.get_data(as_text=True) == '{"from": "routes"}', path
    assert client.post("/").get_data(as_text=True) == '{"from": "routes"}'


def test_the_service_worker_is_served_from_the_root_uncached(tmp_path):
    """Issue 20: the console's service worker is a same-origin script at ``/sw.js``
    (its scope is the whole console), asked again at each load (``no-cache``);
    without a build the path goes to the routes."""
    client = built(tmp_path)
    assert client.get("/sw.js").get_data(as_text=True) == '{"from": "routes"}'
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    reply = client.get("/sw.js")
    assert reply.status_code == 200 and "javascript" in reply.mimetype
    assert reply.get_data(as_text=True) == "self.addEventListener('fetch', () => {})"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    # the page's policy lets it register the worker: scripts from the gateway itself
    policy = dict(d.strip().split(" ", 1) for d in client.get("/").headers["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'" and "worker-src" not in policy


def test_docs_is_the_built_api_console_or_else_the_routes_own_page(tmp_path):
    client = built(tmp_path)
    assert client.get("/docs").get_data(as_text=True) == '{"from": "routes"}'   # no docs.html built
    (tmp_path / "docs.html").write_text("<!doctype html><title>API</title>")
    reply = client.get("/docs")
    assert reply.status_code == 200 and reply.get_data(as_text=True) == "<!doctype html><title>API</title>"
    assert reply.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self';" in reply.headers["Content-Security-Policy"]
    assert client.get("/docs/other").get_data(as_text=True) == '{"from": "routes"}'


def test_without_a_build_the_page_says_how_to_build_it(tmp_path):
    client = Client(console.Middleware(routes, tmp_path / "dist"))
    reply = client.get("/")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    assert "make web" in reply.get_data(as_text=True)
    assert reply.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    assert client.get("/assets/index-Ab12.js").get_data(as_text=True) == '{"from": "routes"}'


def test_the_gateway_serves_the_console_in_front_of_its_routes(api):
    """Wired into the gateway's web server: ``/`` is the console's page (built
    or not), ``/health`` still a route, an unknown asset a problem+json 404."""
    page = api.get("/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert api.get("/health").headers["Content-Type"].startswith("application/json")
    missing = api.get("/assets/nothing-at-all.js")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
