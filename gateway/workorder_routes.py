"""The work orders' routes (docs/API.md#work-orders), and the client's public
tracking page. Thin: validate at the edge, pass the body as sent to the
workorders service, which validates again and checks the caller's scope.

A mixin of the gateway ``Service`` (``class Service(WorkorderRoutes, ...)``):
it uses the service's ``workorders`` RPC proxy and, to check whom a job is
assigned to, the gateway's own users.
"""
import base64
import html
import uuid

from chassis.display import format_money, locale_for
from chassis.errors import InvalidInput
from chassis.identity import ANY_STAFF, BENCH_JEWELER, BENCH_LEADS, HQ_ADMIN, SELLERS, STAFF, STORE_MANAGER
from chassis.images import THUMBNAIL_TYPE
from chassis.storage import Storage
from contracts.rpc import workorders as schemas

from . import domain as gateway_domain, photo_uploads
from .bodies import MULTIPART
from .http import PayloadTooLarge, Reply, route
from .media import HTML, IMAGE, JPEG, PDF, produces
from .models import User
from .workorder_schemas import PHOTO_FORM

CAN_BE_ASSIGNED = (BENCH_JEWELER, STORE_MANAGER)   # who a job may be assigned to

PHOTO_HEADERS = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex, nofollow", "X-Content-Type-Options": "nosniff"}
PAGE_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
               "base-uri 'none'; frame-ancestors 'none'")


def _query(request):
    """The query as sent (the edge validated it): JSON-safe for RPC."""
    return request.args.to_dict()


def _pdf(content_base64, filename):
    return Reply(base64.b64decode(content_base64), content_type="application/pdf",
                 headers={"Content-Disposition": f'inline; filename="{filename}"',
                          "Cache-Control": "private, no-store"})


def _wants_json(request):
    if request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"], default="text/html")
    return best == "application/json"


def _money(value, store):
    """An amount as the client reads it: Babel, ISO 4217 decimals, in the locale
    of the store's country (en_US while the tracking view does not name it)."""
    return format_money(value, locale_for(store.get("country")))


def tracking_page(view, token):
    """The tracking page as HTML: stage, promised date, the store's contact,
    and an approval button while an estimate waits."""
    e = html.escape
    store = view["store"]
    contact = " · ".join(e(part) for part in (store.get("phone"), store.get("address")) if part)
    estimate = ""
    if view.get("estimate") and view.get("can_approve"):
        note = view["estimate"].get("note")
        estimate = (
            f'<section class="estimate"><h2>Estimate</h2>'
            f'<p class="amount">{e(_money(view["estimate"]["amount"], store))}</p>'
            + (f"<p>{e(note)}</p>" if note else "")
            + f'<form method="post" action="/track/{e(token)}/approve">'
              f'<button type="submit">Approve this estimate</button></form></section>')
    ready = ('<p class="ready">Your piece is ready. Please bring your receipt or this page.</p>'
             if view["ready_for_pickup"] else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Job {e(view['number'])} - {e(store['name'])}</title>
<style>
body{{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}}
h1{{font-size:1.3rem}} .stage{{font-size:1.5rem;font-weight:600}} .amount{{font-size:1.4rem}}
.ready{{background:#e8f5e9;padding:.75rem;border-radius:.4rem}} button{{font-size:1rem;padding:.6rem 1rem}}
footer{{margin-top:2rem;color:#555;font-size:.9rem}}
</style></head><body>
<h1>{e(store['name'])} &mdash; job {e(view['number'])}</h1>
<p class="stage">{e(view['stage_label'])}</p>
{ready}
<p>Promised for <strong>{e(view['promised_date'])}</strong></p>
{estimate}
<footer><p>Questions? {e(store['name'])}{' · ' + contact if contact else ''}</p></footer>
</body></html>
"""


class WorkorderRoutes:
    storage = Storage()     # photos: the files themselves never travel by RPC
    # intake and reading ----------------------------------------------------------------------

    @route("POST", "/work-orders", roles=SELLERS, body=schemas.WorkOrderInput,
           response=schemas.WorkOrderView, status=201, idempotent=True)
    def create_work_order(self, request):
        """Take a job in at the counter.

        Tasks come from the chain's repair price list (``code``; engraving is
        priced per letter of ``text``) or are free (``description``, with a
        ``price`` or left to the estimate). Photos are base64 JPEG, PNG or
        WebP, recognised by their content. The job is ``received``, with a
        per-store ``number`` (e.g. ``NYC-000123``) and a ``tracking_token``.
        """
        job = self.workorders.create_work_order(request.json_body)
        request.audit["store_id"] = job["store_id"]
        return job

    @route("GET", "/work-orders", roles=ANY_STAFF, query=schemas.WorkOrderQuery,
           response=schemas.WorkOrderPage)
    def list_work_orders(self, request):
        """The bench board as a list: overdue first, then rush, then by promised date."""
        return self.workorders.list_work_orders(_query(request))

    @route("GET", "/work-orders/board", roles=ANY_STAFF, query=schemas.BoardQuery,
           response=schemas.Board)
    def work_order_board(self, request):
        """A store's open jobs in columns by stage, and each jeweler's load."""
        return self.workorders.board(_query(request))

    @route("GET", "/work-orders/{id}", roles=ANY_STAFF, response=schemas.WorkOrderView)
    def get_work_order(self, request, id):
        """One job: tasks, photos, estimate, deposits, balance due, next stages."""
        return self.workorders.get_work_order(id)

    @route("GET", "/work-orders/{id}/history", roles=ANY_STAFF, query=schemas.Page,
           response=schemas.HistoryPage)
    def work_order_history(self, request, id):
        """Every change of the job, oldest first: by whom, in which role, when."""
        return self.workorders.history(id, _query(request))

    # the workflow ------------------------------------------------------------------------------

    @route("POST", "/work-orders/{id}/estimate", roles=STAFF, body=schemas.EstimateRequest,
           response=schemas.WorkOrderView, idempotent=True)
    def estimate_work_order(self, request, id):
        """Quote the job; it waits for the client's approval (they are told)."""
        return self.workorders.estimate(id, request.json_body)

    @route("POST", "/work-orders/{id}/approve", roles=SELLERS, response=schemas.WorkOrderView)
    def approve_work_order(self, request, id):
        """Record the client's approval at the counter (body ``{note}`` optional).

        Approving twice is 409; so is approving a job that needs an estimate
        before it has one."""
        return self.workorders.approve(id, request.json_body or {})

    @route("POST", "/work-orders/{id}/assign", roles=BENCH_LEADS, body=schemas.AssignRequest,
           response=schemas.WorkOrderView)
    def assign_work_order(self, request, id):
        """Give the job to a bench jeweler of its store (``user_id`` null: nobody).
        A bench jeweler may take a job for themselves."""
        data = dict(request.json_body)
        identity = request.identity
        for_someone_else = identity.role == BENCH_JEWELER and data.get("user_id") != identity.user_id
        if data.get("user_id") and not for_someone_else:   # that one the service refuses
            job = self.workorders.get_work_order(id)
            data["name"] = self._bench_user(data["user_id"], job["store_id"])
        return self.workorders.assign(id, data)

    def _bench_user(self, user_id, store_id):
        try:
            user_id = str(uuid.UUID(str(user_id)))
        except ValueError:
            raise InvalidInput("unknown user", {"user_id": ["no such user"]}) from None
        with self.db.transaction() as session:
            user = session.get(User, user_id)
            store_ids = gateway_domain.user_store_ids(session, user_id) if user else []
        if user is None or not user.active:
            raise InvalidInput("unknown user", {"user_id": ["no such user"]})
        if user.role not in CAN_BE_ASSIGNED:
            raise InvalidInput("not a bench jeweler", {"user_id": [f"{user.username} is a {user.role}"]})
        if store_id not in store_ids:
            raise InvalidInput("works elsewhere",
                               {"user_id": [f"{user.username} does not work at this job's store"]})
        return user.username

    @route("POST", "/work-orders/{id}/transition", roles=STAFF, body=schemas.TransitionRequest,
           response=schemas.WorkOrderView)
    def transition_work_order(self, request, id):
        """Move the job along its stages; a move the workflow does not allow is 409.

        ``received → awaiting_approval → approved → in_progress →
        quality_check → ready_for_pickup → picked_up``; custom work goes
        ``approved → design → design_approved → casting → setting →
        quality_check``. ``cancelled`` (with a ``note``) until the piece is
        ready. Picking up needs the balance paid (a sale line
        ``{work_order_id}``)."""
        return self.workorders.transition(id, request.json_body)

    # photos and documents -------------------------------------------------------------------------

    @route("POST", "/work-orders/{id}/photos", roles=STAFF, body=schemas.PhotoInput,
           form=PHOTO_FORM, form_limit="photo_max_bytes",
           response=schemas.PhotoView, status=201, idempotent=True)
    def add_work_order_photo(self, request, id):
        """Add a photo: JPEG, PNG or WebP, recognised by its content.

        ``multipart/form-data`` (field ``photo``, optional ``caption``) takes
        a phone's photo, up to ``PHOTO_MAX_BYTES`` (15 MiB); the gateway
        stores it and its 320 px thumbnail. JSON ``{content_base64,
        caption}`` takes small ones (the 1 MiB body limit). A file that is
        not an image is 422, a larger one 413."""
        if request.json_body is None and request.files:
            return self._upload_photo(request, id)
        if request.json_body is None and request.mimetype == MULTIPART:
            raise InvalidInput("no photo", photo_uploads.NO_PHOTO)
        return self.workorders.add_photo(id, request.json_body)

    def _upload_photo(self, request, id):
        upload, data, content_type, caption = photo_uploads.checked(
            request, self.settings.photo_max_bytes, PayloadTooLarge)
        self.workorders.can_add_photo(id)           # the job is the caller's to see (404, 403, 409)
        thumb = photo_uploads.thumbnail_of(data)
        return photo_uploads.store_and_record(self.storage, upload, content_type, caption, thumb,
                                              lambda stored: self.workorders.attach_photo(id, stored))

    @route("GET", "/work-orders/{id}/photos/{photo_id}", roles=ANY_STAFF)
    @produces(IMAGE)
    def get_work_order_photo(self, request, id, photo_id):
        """One photo, as the image file."""
        photo = self.workorders.get_photo(id, photo_id)
        return Reply(photo_uploads.read(self.storage, photo["storage_key"]),
                     content_type=photo["content_type"], headers=PHOTO_HEADERS)

    @route("GET", "/work-orders/{id}/photos/{photo_id}/thumbnail", roles=ANY_STAFF)
    @produces(JPEG)
    def get_work_order_photo_thumbnail(self, request, id, photo_id):
        """One photo's thumbnail: a JPEG at most 320 px on its longer side
        (made from the photo, and kept, the first time if it has none)."""
        photo = self.workorders.get_photo(id, photo_id)
        return Reply(photo_uploads.thumbnail(self.storage, photo["storage_key"]),
                     content_type=THUMBNAIL_TYPE, headers=PHOTO_HEADERS)

    @route("GET", "/work-orders/{id}/envelope.pdf", roles=ANY_STAFF)
    @produces(PDF)
    def work_order_envelope(self, request, id):
        """The printable job envelope: Code 128 barcode of the number, client,
        tasks, promised date and condition at intake (PDF)."""
        return _pdf(self.workorders.envelope_pdf(id), f"envelope-{id}.pdf")

    @route("POST", "/work-orders/{id}/appraisal", roles=BENCH_LEADS, body=schemas.AppraisalInput,
           response=schemas.AppraisalView, status=201, idempotent=True)
    def write_appraisal(self, request, id):
        """Write (or rewrite: a new version) the appraisal document of an appraisal job."""
        return self.workorders.write_appraisal(id, request.json_body)

    @route("GET", "/work-orders/{id}/appraisal.pdf", roles=ANY_STAFF)
    @produces(PDF)
    def appraisal_document(self, request, id):
        """The appraisal document (PDF); ``?version=`` for an earlier one."""
        return _pdf(self.workorders.appraisal_pdf(id, request.args.get("version")),
                    f"appraisal-{id}.pdf")

    # the repair price list -------------------------------------------------------------------------

    @route("GET", "/repair-prices", roles=ANY_STAFF, query=schemas.PriceQuery,
           response=schemas.PriceList)
    def list_repair_prices(self, request):
        """The chain's repair price list."""
        return self.workorders.list_prices(_query(request))

    @route("PUT", "/repair-prices/{code}", roles=(HQ_ADMIN,), body=schemas.PriceInput,
           response=schemas.PriceView)
    def set_repair_price(self, request, code):
        """Add or change a line of the repair price list (in one currency)."""
        return self.workorders.set_price(code, request.json_body)

    # the client's tracking page (public) ----------------------------------------------------------

    @route("GET", "/track/{tracking_token}", public=True, response=schemas.TrackingView)
    @produces(HTML)
    def track_work_order(self, request, tracking_token):
        """The client's status page: stage, promised date, the store's contact.

        HTML by default, JSON with ``Accept: application/json`` or
        ``?format=json``. No names and no prices, except an estimate that
        waits for approval."""
        view = self.workorders.track(tracking_token)
        if _wants_json(request):
            return Reply(view, headers=PRIVATE)
        return Reply(tracking_page(view, tracking_token), content_type="text/html",
                     headers=PRIVATE | {"Content-Security-Policy": PAGE_POLICY})

    @route("POST", "/track/{tracking_token}/approve", public=True, response=schemas.TrackingView)
    def approve_from_tracking_page(self, request, tracking_token):
        """The client approves the estimate from the tracking page."""
        view = self.workorders.approve_by_token(tracking_token)
        if _wants_json(request):
            return Reply(view, headers=PRIVATE)
        return Reply("", status=303, headers=PRIVATE | {"Location": f"/track/{tracking_token}"})
