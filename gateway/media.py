"""What a route answers when it is not the JSON of its ``response=`` schema:
a PDF, a CSV, a page, an image, a provider's reply. Declared on the handler
with ``@produces(...)`` (next to ``@route``) and read by the OpenAPI
generator, so that the document names the content type a client receives
(docs/API.md#conventions).

    @route("GET", "/items/{id}/label.pdf", roles=ANY_STAFF)
    @produces(PDF)
    def item_label(self, request, id): ...
"""

BINARY = {"type": "string", "format": "binary"}
TEXT = {"type": "string"}
ANY_JSON = {"type": "object", "additionalProperties": True}

PDF = {"application/pdf": {"schema": BINARY}}
CSV = {"text/csv": {"schema": TEXT}}
HTML = {"text/html": {"schema": TEXT}}
XML = {"text/xml": {"schema": TEXT}}
JPEG = {"image/jpeg": {"schema": BINARY}}
ESCPOS = {"application/vnd.escpos": {"schema": BINARY}}   # receipt printers' bytes
ZPL_TYPE = "application/vnd.zebra-zpl"
ZPL = {ZPL_TYPE: {"schema": BINARY}}                       # tag printers' label formats
IMAGE = {kind: {"schema": BINARY} for kind in ("image/jpeg", "image/png", "image/webp")}
JSON_OBJECT = {"application/json": {"schema": ANY_JSON}}

ATTRIBUTE = "produces"


def produces(*contents):
    """The success answer's content, media type by media type (``PDF``,
    ``HTML | JSON``...); beside a route's ``response=`` schema, if any."""
    merged = {}
    for content in contents:
        merged.update(content)

    def mark(fn):
        setattr(fn, ATTRIBUTE, merged)
        return fn
    return mark


def declared(fn):
    """The content ``fn`` declared with :func:`produces`, or ``{}``."""
    return dict(getattr(fn, ATTRIBUTE, {}))
