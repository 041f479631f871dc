"""Workorders service (docs/API.md#work-orders): entrypoints only; the rules
live in plain modules of one topic each beside it (``intake``, ``approval``,
``workflow``, ``balances``, ``appraisals``, ``queries``, ``dues``, ``facts``,
on ``jobs`` and ``views``, and the pure ``stages``, ``pricing`` and
``documents``)."""
import base64
import logging

from nameko.timer import timer

from chassis.clock import now
from chassis.display import locale_for
from chassis.errors import InvalidInput
from chassis.events import event_handler
from chassis.service import ServiceBase, rpc
from chassis.storage import run_off_loop
from chassis.validation import int_arg, load, uuid_arg
from contracts.rpc import workorders as schemas

from . import appraisals, approval, balances, documents, dues, facts, intake, queries, views, workflow
from .photos import Photos

log = logging.getLogger(__name__)

_intake = schemas.WorkOrderInput()
_query = schemas.WorkOrderQuery()
_board = schemas.BoardQuery()
_page = schemas.Page()
_estimate = schemas.EstimateRequest()
_approve = schemas.ApproveRequest()
_assign = schemas.AssignRequest()
_transition = schemas.TransitionRequest()
_photo = schemas.PhotoInput()
_stored_photo = schemas.PhotoStored()
_appraisal = schemas.AppraisalInput()
_price = schemas.PriceInput()
_prices = schemas.PriceQuery()


def _b64(data):
    return base64.b64encode(data).decode()


class Service(ServiceBase):
    name = "workorders"

    photos = Photos()

    # intake and reading ----------------------------------------------------------------

    @rpc
    def create_work_order(self, data):
        data = load(_intake, data)
        stored, photo_errors = intake.prepare_intake(self.caller, data, self.photos)
        try:
            with self.db.transaction() as session:
                return intake.take_in(session, self.caller, data, stored, photo_errors)
        except BaseException:
            self.photos.discard()  # nothing stored for a job that was not taken in
            raise

    @rpc
    def get_work_order(self, work_order_id):
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        with self.db.transaction() as session:
            return views.get_work_order(session, self.caller, work_order_id)

    @rpc
    def list_work_orders(self, query=None):
        query = load(_query, query or {})
        with self.db.transaction() as session:
            return queries.list_work_orders(session, self.caller, query)

    @rpc
    def board(self, query):
        query = load(_board, query or {})
        with self.db.transaction() as session:
            return queries.board(session, self.caller, query)

    @rpc
    def history(self, work_order_id, query=None):
        work_order_id, query = uuid_arg(work_order_id, "work_order_id"), load(_page, query or {})
        with self.db.transaction() as session:
            return queries.history(session, self.caller, work_order_id, query)

    @rpc
    def summary(self):
        with self.db.transaction() as session:
            return queries.summary(session, self.caller)

    # the workflow ----------------------------------------------------------------------------

    @rpc
    def estimate(self, work_order_id, data):
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_estimate, data)
        with self.db.transaction() as session:
            return approval.estimate(session, self.caller, work_order_id, data)

    @rpc
    def approve(self, work_order_id, data=None):
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_approve, data or {})
        with self.db.transaction() as session:
            return approval.approve(session, self.caller, work_order_id, data)

    @rpc
    def assign(self, work_order_id, data):
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_assign, data)
        with self.db.transaction() as session:
            return workflow.assign(session, self.caller, work_order_id, data)

    @rpc
    def transition(self, work_order_id, data):
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_transition, data)
        with self.db.transaction() as session:
            return workflow.transition(session, self.caller, work_order_id, data)

    # photos and documents ---------------------------------------------------------------------

    @rpc
    def add_photo(self, work_order_id, data):
        """A photo sent as base64 (small ones): stored here, then recorded."""
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_photo, data)
        stored = intake.prepare_photo(self.caller, data, self.photos)
        try:
            with self.db.transaction() as session:
                return intake.add_photo(session, self.caller, work_order_id, stored, data)
        except BaseException:
            self.photos.discard()
            raise

    @rpc
    def can_add_photo(self, work_order_id):
        """Before the gateway stores an upload: 404/403/409 if it may not be added."""
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        with self.db.transaction() as session:
            return intake.can_add_photo(session, self.caller, work_order_id)

    @rpc
    def attach_photo(self, work_order_id, data):
        """A photo the gateway stored (a multipart upload), recorded by its key;
        the gateway deletes the file if this fails."""
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_stored_photo, data)
        with self.db.transaction() as session:
            return intake.add_photo(session, self.caller, work_order_id,
                                    intake.stored_photo(data), data)

    @rpc
    def get_photo(self, work_order_id, photo_id):
        """Where a photo is stored and its type: the gateway reads the file."""
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        photo_id = uuid_arg(photo_id, "photo_id")
        with self.db.transaction() as session:
            return intake.photo_file(session, self.caller, work_order_id, photo_id)

    @rpc
    def envelope_pdf(self, work_order_id):
        """The job envelope, base64-encoded PDF (drawn after the transaction)."""
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        with self.db.transaction() as session:
            job = views.get_work_order(session, self.caller, work_order_id)
        return _b64(run_off_loop(documents.envelope_pdf, job, locale_for(job["store"]["country"])))

    @rpc
    def write_appraisal(self, work_order_id, data):
        work_order_id, data = uuid_arg(work_order_id, "work_order_id"), load(_appraisal, data)
        with self.db.transaction() as session:
            return appraisals.write(session, self.caller, work_order_id, data)

    @rpc
    def appraisal_pdf(self, work_order_id, version=None):
        """The appraisal document (latest version by default), base64-encoded PDF."""
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        if version is not None:
            version = int_arg(version, "version", 1, 2 ** 31 - 1)
        with self.db.transaction() as session:
            doc, photos, locale = appraisals.document(session, self.caller, work_order_id, version)
        return _b64(appraisals.render(doc, photos, locale, self.photos))

    # the client's tracking page (public) -------------------------------------------------------

    @rpc
    def track(self, tracking_token):
        with self.db.transaction() as session:
            return queries.track(session, tracking_token)

    @rpc
    def approve_by_token(self, tracking_token):
        with self.db.transaction() as session:
            return queries.approve_by_token(session, self.caller, tracking_token)

    # payments (sale line {work_order_id}) ---------------------------------------------------

    @rpc
    def balance_due(self, work_order_id):
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        with self.db.transaction() as session:
            return balances.balance_due(session, self.caller, work_order_id)

    @rpc
    def mark_paid(self, work_order_id, sale_id, amount=None):
        work_order_id = uuid_arg(work_order_id, "work_order_id")
        sale_id = uuid_arg(sale_id, "sale_id")
        with self.db.transaction() as session:
            return balances.mark_paid(session, self.caller, work_order_id, sale_id, amount=amount)

    # the repair price list -------------------------------------------------------------------

    @rpc
    def list_prices(self, query=None):
        query = load(_prices, query or {})
        with self.db.transaction() as session:
            return facts.list_prices(session, self.caller, query)

    @rpc
    def set_price(self, code, data):
        code = str(code)
        if not schemas.PRICE_CODE.regex.match(code):
            raise InvalidInput("not a price list code", {"code": [schemas.PRICE_CODE.error]})
        data = load(_price, data)
        with self.db.transaction() as session:
            return facts.set_price(session, self.caller, code, data, now())

    # clocks --------------------------------------------------------------------------------------

    @timer(interval=3600)
    def hourly_dues(self):
        """Overdue jobs and pickup reminders, in batches of one transaction each."""
        for step in (dues.flag_overdue, dues.pickup_reminders):
            while True:
                with self.db.transaction() as session:
                    done = step(session, batch=500)
                if done < 500:
                    break

    # facts from other services ------------------------------------------------------------------

    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            facts.record_store(session, event)

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            facts.record_store(session, event)

    @event_handler("crm", "client.created")
    def on_client_created(self, event):
        with self.db.inbox(event) as session:
            facts.record_client(session, event)

    @event_handler("crm", "client.updated")
    def on_client_updated(self, event):
        with self.db.inbox(event) as session:
            facts.record_client(session, event)

    @event_handler("crm", "client.merged")
    def on_client_merged(self, event):
        with self.db.inbox(event) as session:
            facts.merge_client(session, event)

    # every payment of the chain comes by; only a work order's deposit needs a
    # transaction here (a sale's payments reach the job through mark_paid)
    @event_handler("payments", "payment.captured")
    def on_payment_captured(self, event):
        if balances.is_deposit_payment(event):
            with self.db.inbox(event) as session:
                balances.record_payment(session, event)

    @event_handler("payments", "payment.refunded")
    def on_payment_refunded(self, event):
        if balances.is_deposit_payment(event):
            with self.db.inbox(event) as session:
                balances.record_payment(session, event)
