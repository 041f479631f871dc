"""Notifications service: entrypoints only. The rules live in plain modules
of one topic each: ``facts`` and ``consent`` (what other services told us),
``triggers`` (what each of their events says to whom), ``staff`` (messages
people write), ``saved_templates``, ``views``, ``webhooks`` and ``inbound``
(Twilio), ``outgoing`` (the queue's sender loop). The routes are
docs/API.md#messages."""
from nameko.timer import Timer, timer

from chassis.clock import now
from chassis.events import event_handler
from chassis.service import ServiceBase, rpc
from chassis.settings import SettingsProvider, setting
from chassis.stores import record_store
from chassis.validation import load, uuid_arg
from contracts.rpc import notifications as schemas

from . import consent, facts, inbound, outgoing, saved_templates, staff, templates, triggers, views, webhooks
from .models import Store
from .senders import Messaging
from .settings import drain_interval, load as load_settings

_staff = schemas.StaffMessage()
_query = schemas.MessageQuery()
_campaign = schemas.Campaign()
_template = schemas.TemplateInput()
_template_query = schemas.TemplateQuery()
_preview = schemas.TemplatePreview()
_webhook = schemas.TwilioWebhook()


def _webhook_args(url, params, signature):
    data = load(_webhook, {"url": url, "params": params or {}, "signature": signature})
    return data["url"], data["params"], data["signature"]


class DrainTimer(Timer):
    """The sender loop's timer: its interval (``SMS_DRAIN_INTERVAL``) is read
    when the container starts, like every other setting."""

    def __init__(self, interval=None, **kwargs):
        super().__init__(interval, **kwargs)

    def setup(self):
        self.interval = drain_interval(setting)


class Service(ServiceBase):
    name = "notifications"

    settings = SettingsProvider(load_settings)
    senders = Messaging()

    # --- messages --------------------------------------------------------------
    @rpc
    def list_messages(self, query=None):
        query = load(_query, query or {})
        with self.db.transaction() as session:
            return views.list_messages(session, self.caller, query)

    @rpc
    def get_message(self, message_id):
        message_id = uuid_arg(message_id, "message_id")
        with self.db.transaction() as session:
            return views.get_message(session, self.caller, message_id)

    @rpc
    def send_message(self, data):
        data = load(_staff, data)
        with self.db.transaction() as session:
            return staff.send_staff_message(session, self.caller, self.settings, data, now())

    @rpc
    def queue_campaign(self, data):
        data = load(_campaign, data)
        with self.db.transaction() as session:
            return staff.queue_campaign(session, self.caller, self.settings, data, now())

    # --- templates -------------------------------------------------------------
    @rpc
    def save_template(self, data):
        data = load(_template, data)
        with self.db.transaction() as session:
            return saved_templates.save_template(session, self.caller, data)

    @rpc
    def list_templates(self, query=None):
        query = load(_template_query, query or {})
        with self.db.transaction() as session:
            return saved_templates.list_templates(session, self.caller, query)

    @rpc
    def delete_template(self, template_id):
        template_id = uuid_arg(template_id, "template_id")
        with self.db.transaction() as session:
            return saved_templates.delete_template(session, self.caller, template_id)

    @rpc
    def preview_template(self, data):
        return saved_templates.preview_template(load(_preview, data))

    @rpc
    def template_catalog(self):
        return templates.catalog()

    # --- Twilio webhooks (public: the signature is the authentication) -----------
    @rpc
    def twilio_status(self, url, params, signature):
        url, params, signature = _webhook_args(url, params, signature)
        webhooks.verify_signature(self.settings, url, params, signature)
        with self.db.transaction() as session:
            return webhooks.record_status(session, url, params, now())

    @rpc
    def twilio_inbound(self, url, params, signature):
        url, params, signature = _webhook_args(url, params, signature)
        webhooks.verify_signature(self.settings, url, params, signature)
        with self.db.transaction() as session:
            return inbound.record_inbound(session, self.settings, params, now())

    # --- the outgoing queue and the reminder clock ------------------------------
    @DrainTimer.decorator
    def drain_outgoing(self):
        outgoing.drain(self.db, self.senders, self.settings)

    @timer(interval=60)
    def appointment_reminders(self):
        with self.db.transaction() as session:
            triggers.queue_appointment_reminders(session, self.settings, now())

    # --- contact and store facts ------------------------------------------------
    @event_handler("crm", "client.created")
    def on_client_created(self, event):
        with self.db.inbox(event) as session:
            facts.record_client(session, event)

    @event_handler("crm", "client.updated")
    def on_client_updated(self, event):
        with self.db.inbox(event) as session:
            facts.record_client(session, event)

    @event_handler("crm", "client.consent_changed")
    def on_consent_changed(self, event):
        with self.db.inbox(event) as session:
            consent.record_consent(session, event)

    @event_handler("gateway", "store.created")
    def on_store_created(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload)

    @event_handler("gateway", "store.updated")
    def on_store_updated(self, event):
        with self.db.inbox(event) as session:
            record_store(session, Store, event.payload)

    # --- triggers ---------------------------------------------------------------
    def _trigger(self, event, rule):
        with self.db.inbox(event) as session:
            rule(session, self.settings, event, now())

    @event_handler("workorders", "workorder.estimate_ready")
    def on_estimate_ready(self, event):
        self._trigger(event, triggers.on_estimate_ready)

    @event_handler("workorders", "workorder.stage_changed")
    def on_stage_changed(self, event):
        self._trigger(event, triggers.on_stage_changed)

    @event_handler("workorders", "workorder.pickup_reminder_due")
    def on_pickup_reminder(self, event):
        self._trigger(event, triggers.on_pickup_reminder)

    @event_handler("workorders", "workorder.overdue")
    def on_overdue(self, event):
        self._trigger(event, triggers.on_overdue)

    @event_handler("inventory", "memo.overdue")
    def on_memo_overdue(self, event):
        self._trigger(event, triggers.on_memo_overdue)

    @event_handler("crm", "appointment.booked")
    def on_appointment_booked(self, event):
        self._trigger(event, triggers.on_appointment_booked)

    @event_handler("crm", "appointment.cancelled")
    def on_appointment_cancelled(self, event):
        self._trigger(event, triggers.on_appointment_cancelled)

    @event_handler("payments", "layaway.payment_due")
    def on_layaway_payment_due(self, event):
        self._trigger(event, triggers.on_layaway_payment_due)

    @event_handler("payments", "sale.completed")
    def on_sale_completed(self, event):
        self._trigger(event, triggers.on_sale_completed)

    @event_handler("crm", "milestone.upcoming")
    def on_milestone(self, event):
        self._trigger(event, triggers.on_milestone)
