"""Reading a request's body within its limit (``http.Route.admit`` and
``read_request``): a chunked body of unknown length, and the multipart form
of a route declared with ``form=`` (a photo upload).

A form route's limit is its own (``form_limit``: the name of a gateway
setting, e.g. ``photo_max_bytes``, plus ``FORM_OVERHEAD`` for boundaries,
part headers and text fields) and for multipart alone; every JSON body stays
under ``MAX_BODY_BYTES``. The form is read in chunks into memory (the
gateway needs no writable disk: a read-only root file system), never past
the limit, and each file is hashed off the event loop.
"""
import hashlib
import io

from werkzeug.exceptions import RequestEntityTooLarge

from chassis.storage import run_off_loop

from . import screening

MULTIPART = "multipart/form-data"
FORM_OVERHEAD = 64 * 1024
FORM_MAX_PARTS = 16


def takes_form(route, request):
    """Whether ``route`` reads this request's body as a multipart form."""
    return route.form is not None and request.mimetype == MULTIPART


def body_limit(route, request, settings):
    """``MAX_BODY_BYTES``, or a form route's own limit for a multipart body."""
    if takes_form(route, request):
        return getattr(settings, route.form_limit) + FORM_OVERHEAD
    return settings.max_body_bytes


def read_chunked(request, limit, too_large):
    """Read a chunked body (no Content-Length) up to ``limit`` bytes, 413 past
    it. werkzeug reads nothing of a body of unknown length (the route would
    run as if none had been sent), or, told the stream ends, cuts it at the
    limit silently. eventlet's input decodes the chunks and stops at the last."""
    data = request.environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        raise too_large(f"the body may not be larger than {limit} bytes")
    request._cached_data = data      # what get_data, form and json parsing read from


def _in_memory(*args, **kwargs):
    return io.BytesIO()


def _sha256(buffer):
    return hashlib.sha256(buffer).hexdigest()


def read_form(request, too_large):
    """A multipart body's text fields and files (``request.form``,
    ``request.files``, each file given ``size`` and ``sha256``), as the
    Idempotency-Key and the audit see it: the fields, and each file's name,
    size and SHA-256. Text is screened like JSON's strings."""
    request._get_file_stream = _in_memory
    request.max_form_parts = FORM_MAX_PARTS
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        raise too_large("the body is too large") from None
    seen = {}
    for key, value in form.items(multi=True):
        screening.screen_text(key, key)
        screening.screen_text(value, key)
        seen[key] = value
    for key, upload in files.items(multi=True):
        screening.screen_text(key, key)
        data = upload.stream.getvalue()
        upload.size, upload.sha256 = len(data), run_off_loop(_sha256, data)
        seen[key] = {"filename": upload.filename or "", "size": upload.size, "sha256": upload.sha256}
    return seen
