"""Crm service: entrypoints only; the rules live in plain modules beside it
(``clients``, ``merging``, ``loyalty``, ``wishes``, ``appointments``,
``campaigns``, ``feeds``, and the pure ``rules``). The routes in front of it
are docs/API.md#clients-crm; it learns stores, sales, jobs and messages from
events (docs/ARCHITECTURE.md#rule-2, handlers idempotent by
docs/ARCHITECTURE.md#rule-3)."""
from nameko.timer import timer

from chassis.clock import now
from chassis.events import event_handler
from chassis.identity import Identity
from chassis.rpc import ServiceRpc
from chassis.service import ServiceBase, rpc
from chassis.settings import SettingsProvider
from chassis.stores import record_store
from chassis.validation import load, uuid_arg
from contracts.rpc import crm as schemas

from . import appointments, campaigns, clients, feeds, loyalty, merging, scope, wishes
from .common import occurred_at
from .models import Store
from .rules import Settings

_client = schemas.ClientInput()
_patch = schemas.ClientPatch()
_search = schemas.ClientSearch()
_timeline = schemas.TimelineQuery()
_duplicates = schemas.DuplicateQuery()
_merge = schemas.MergeRequest()
_wish = schemas.WishRequest()
_appointment = schemas.AppointmentRequest()
_appointments = schemas.AppointmentQuery()
_segment = schemas.SegmentQuery()
_recommend = schemas.RecommendationQuery()
_redeem = schemas.RedeemRequest()
_refund = schemas.RefundRequest()
_adjust = schemas.PointsAdjustment()
_page = schemas.Page()
_reads = schemas.ProfileReadQuery()


_event_identity = Identity.of_event


class Service(ServiceBase):
    name = "crm"

    settings = SettingsProvider(Settings.from_config)   # the chain's client-book policy
    inventory = ServiceRpc("inventory")

    # clients
    @rpc
    def create_client(self, data):
        data = load(_client, data)
        with self.db.transaction() as session:
            return clients.create_client(session, self.caller, data, self.settings)

    @rpc
    def get_client(self, client_id):
        client_id = uuid_arg(client_id, "client_id")
        with self.db.transaction() as session:
            return clients.get_client(session, self.caller, client_id, self.settings)

    @rpc
    def search_clients(self, filters=None):
        filters = load(_search, filters or {})
        with self.db.transaction() as session:
            return clients.search_clients(session, self.caller, filters, self.settings)

    @rpc
    def update_client(self, client_id, data):
        client_id = uuid_arg(client_id, "client_id")
        data = load(_patch, data)
        with self.db.transaction() as session:
            return clients.update_client(session, self.caller, client_id, data, self.settings)

    @rpc
    def timeline(self, client_id, query=None):
        client_id, query = uuid_arg(client_id, "client_id"), load(_timeline, query or {})
        with self.db.transaction() as session:
            return feeds.timeline(session, self.caller, client_id, query)

    @rpc
    def client_scope(self, client_id):
        """Whether the caller's stores see ``client_id`` in full
        (docs/ARCHITECTURE.md#rule-7): for a neighbour that keeps a part of
        the profile (payments' store credit) to answer as the crm does."""
        client_id = uuid_arg(client_id, "client_id")
        with self.db.read() as session:
            return scope.scope_view(session, self.caller, client_id)

    @rpc
    def client_history(self, client_id, query=None):
        client_id, query = uuid_arg(client_id, "client_id"), load(_page, query or {})
        clients.require_history_reader(self.caller)
        with self.db.transaction() as session:
            return clients.client_history(session, self.caller, client_id, query)

    @rpc
    def profile_reads(self, query=None):
        query = load(_reads, query or {})
        with self.db.transaction() as session:
            return clients.list_profile_reads(session, self.caller, query)

    # duplicates and merge
    @rpc
    def find_duplicates(self, query=None):
        query = load(_duplicates, query or {})
        with self.db.transaction() as session:
            return merging.find_duplicates(session, self.caller, query, self.settings)

    @rpc
    def merge_clients(self, client_id, data):
        client_id, data = uuid_arg(client_id, "client_id"), load(_merge, data)
        with self.db.transaction() as session:
            return merging.merge_clients(session, self.caller, client_id,
                                         str(data["duplicate_id"]), self.settings)

    # wish lists
    @rpc
    def add_wish(self, client_id, data):
        client_id, data = uuid_arg(client_id, "client_id"), load(_wish, data)
        with self.db.transaction() as session:
            return wishes.add(session, self.caller, client_id, data)

    @rpc
    def remove_wish(self, client_id, wish_id):
        client_id, wish_id = uuid_arg(client_id, "client_id"), uuid_arg(wish_id, "wish_id")
        with self.db.transaction() as session:
            return wishes.remove(session, self.caller, client_id, wish_id)

    # appointments
    @rpc
    def book_appointment(self, data):
        data = load(_appointment, data)
        with self.db.transaction() as session:
            return appointments.book(session, self.caller, data)

    @rpc
    def cancel_appointment(self, appointment_id):
        appointment_id = uuid_arg(appointment_id, "appointment_id")
        with self.db.transaction() as session:
            return appointments.cancel(session, self.caller, appointment_id)

    @rpc
    def get_appointment(self, appointment_id):
        appointment_id = uuid_arg(appointment_id, "appointment_id")
        with self.db.transaction() as session:
            return appointments.get_appointment(session, self.caller, appointment_id)

    @rpc
    def list_appointments(self, query=None):
        query = load(_appointments, query or {})
        with self.db.transaction() as session:
            return appointments.list_appointments(session, self.caller, query)

    # campaigns
    @rpc
    def segment(self, query=None):
        query = load(_segment, query or {})
        with self.db.transaction() as session:
            return campaigns.segment(session, self.caller, query, _today())

    @rpc
    def recommendations(self, client_id, query=None):
        client_id, query = uuid_arg(client_id, "client_id"), load(_recommend, query or {})
        with self.db.transaction() as session:
            plan = campaigns.recommendation_plan(session, self.caller, client_id, query)
        found = []   # asked outside the transaction: no connection held during RPC
        for filters in plan["queries"]:
            found.extend(self.inventory.search_items(filters)["items"])
        return campaigns.recommendations(plan, found, query["limit"])

    # loyalty points (payments' loyalty tender)
    @rpc
    def redeem_points(self, client_id, sale_id, points):
        data = load(_redeem, {"client_id": client_id, "sale_id": sale_id, "points": points})
        with self.db.transaction() as session:
            return loyalty.redeem_points(session, self.caller, str(data["client_id"]),
                                         str(data["sale_id"]), data["points"])

    @rpc
    def refund_points(self, client_id, sale_id):
        data = load(_refund, {"client_id": client_id, "sale_id": sale_id})
        with self.db.transaction() as session:
            return loyalty.refund_points(session, self.caller, str(data["client_id"]),
                                         str(data["sale_id"]))

    @rpc
    def adjust_points(self, client_id, data):
        client_id, data = uuid_arg(client_id, "client_id"), load(_adjust, data)
        with self.db.transaction() as session:
            return loyalty.adjust_points(session, self.caller, client_id, data)

    @rpc
    def loyalty_ledger(self, client_id, query=None):
        client_id, query = uuid_arg(client_id, "client_id"), load(_page, query or {})
        with self.db.transaction() as session:
            return loyalty.ledger(session, self.caller, client_id, query)

    # the daily review (hourly: each step is idempotent, so a restart or a
    # missed hour never skips or repeats a notice)
    @timer(interval=3600)
    def daily_review(self):
        self.run_daily(_today())

    def run_daily(self, today):
        system = Identity.system()
        with self.db.transaction() as session:
            campaigns.announce_milestones(session, today, self.settings)
        with self.db.transaction() as session:
            campaigns.review_tiers(session, system, self.settings, now())
        with self.db.transaction() as session:
            loyalty.expire_points(session, system, self.settings, today)

    # store facts from the gateway
    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload)

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload)

    # purchases from payments
    @event_handler("payments", "sale.completed")
    def on_sale_completed(self, event):
        with self.db.inbox(event) as session:
            if event.payload.get("client_id"):
                loyalty.record_sale(session, _event_identity(event), event.payload,
                                    self.settings, occurred_at(event, "completed_at"))

    @event_handler("payments", "sale.returned")
    def on_sale_returned(self, event):
        with self.db.inbox(event) as session:
            if event.payload.get("client_id"):
                loyalty.record_return(session, _event_identity(event), event.payload,
                                      self.settings, occurred_at(event, "returned_at"))

    # the timeline's other sources
    @event_handler("workorders", "workorder.*")
    def on_work_order(self, event):
        with self.db.inbox(event) as session:
            feeds.record_work_order(session, event)

    @event_handler("notifications", "message.*")
    def on_message(self, event):
        with self.db.inbox(event) as session:
            feeds.record_message(session, event)

    @event_handler("notifications", "client.consent_changed")
    def on_consent_reported(self, event):
        with self.db.inbox(event) as session:
            clients.apply_reported_consent(session, _event_identity(event), event.payload,
                                           occurred_at(event, "changed_at"))

    # wished pieces: most pieces sold or held were never wished for; such an
    # event changes nothing here and is acknowledged without a transaction
    @event_handler("inventory", "item.reserved")
    def on_item_reserved(self, event):
        self._item_event(event)

    @event_handler("inventory", "item.sold")
    def on_item_sold(self, event):
        self._item_event(event)

    @event_handler("inventory", "item.price_changed")
    def on_item_price_changed(self, event):
        self._item_event(event)

    def _item_event(self, event):
        if not wishes.may_alert(event):
            return
        with self.db.read() as session:
            if not wishes.wished(session, event.payload["item_id"]):
                return
        with self.db.inbox(event) as session:
            wishes.on_item_event(session, _event_identity(event), event)


def _today():
    return now().date()
