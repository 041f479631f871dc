"""Issue 18: the console's API types are generated from the document that
``scripts/openapi_dump.py`` writes, so each call the console makes must have
its request and success bodies there, and the file must be plain JSON."""
import json

from scripts import openapi_dump

# (method, path, success status): the console's calls (web/src/api.ts)
CONSOLE_CALLS = [
    ("post", "/auth/token", "200"), ("post", "/auth/refresh", "200"), ("get", "/me", "200"),
    ("get", "/stores", "200"), ("get", "/items/by-tag/{tag}", "200"), ("post", "/sales", "201"),
]


def test_the_dump_is_the_route_tables_document_as_plain_json(tmp_path):
    target = tmp_path / "openapi.json"
    openapi_dump.main([str(target)])
    written = json.loads(target.read_text())
    assert written == openapi_dump.document()
    assert written["openapi"].startswith("3.")
    assert "/sales" in written["paths"] and "/auth/token" in written["paths"]


def test_every_call_of_the_console_declares_its_bodies():
    paths = openapi_dump.document()["paths"]
    for method, path, status in CONSOLE_CALLS:
        operation = paths[path][method]
        assert "schema" in operation["responses"][status]["content"]["application/json"], (method, path)
        if method == "post":
            assert "schema" in operation["requestBody"]["content"]["application/json"], (method, path)
