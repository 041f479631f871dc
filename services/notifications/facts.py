"""Facts this service keeps from other services' events (each service owns
its data, docs/ARCHITECTURE.md#rule-1): how to reach a client (crm's
``client.*``), appointments (crm's ``appointment.*``) and the stores' names,
time zones, phones and countries (the gateway's ``store.*``, written by
``chassis.stores.record_store``)."""
from chassis.clock import instant, now
from chassis.display import locale_for

from . import quiet_hours
from .models import Appointment, Contact, Store


class NotYetKnown(Exception):
    """A fact this service keeps from another's events has not arrived yet
    (a client created a moment ago). The event handler raises it so the
    chassis retries the event with back-off, then parks it
    (docs/ARCHITECTURE.md#rule-3)."""


def record_client(session, event):
    """Contact facts from ``client.created/updated``. An event older than
    what we hold changes nothing; a consent older than the last change of
    that channel (a STOP a moment ago) does not undo it."""
    facts = event.payload
    at = event.occurred_at
    client_id = str(facts["client_id"])
    contact = session.get(Contact, client_id, with_for_update=True)
    if contact is None:
        contact = Contact(client_id=client_id, sms_consent=False, email_consent=False)
        session.add(contact)
    if contact.facts_at is None or at >= contact.facts_at:
        contact.first_name = facts.get("first_name") or ""
        contact.last_name = facts.get("last_name") or ""
        contact.phone = facts.get("phone")
        contact.email = facts.get("email")
        contact.language = facts.get("language")
        contact.home_store_id = str(facts["home_store_id"]) if facts.get("home_store_id") else None
        contact.associate_id = facts.get("associate_id")
        contact.facts_at = at
    consent = facts.get("consent") or {}
    for channel in ("sms", "email"):
        if channel in consent:
            set_consent(contact, channel, bool(consent[channel]), at)
    contact.updated_at = now()
    return contact


def set_consent(contact, channel, granted, at):
    """The client's consent on ``channel`` as of ``at``; an older change
    than the one held changes nothing (returns False)."""
    current_at = getattr(contact, f"{channel}_consent_at")
    if current_at is not None and at < current_at:
        return False
    setattr(contact, f"{channel}_consent", granted)
    setattr(contact, f"{channel}_consent_at", at)
    return True


def record_appointment(session, event):
    """The appointment ``appointment.booked`` describes, created or updated."""
    p = event.payload
    appointment = session.get(Appointment, str(p["appointment_id"]), with_for_update=True)
    if appointment is None:
        appointment = Appointment(id=str(p["appointment_id"]), booked_at=event.occurred_at)
        session.add(appointment)
    appointment.client_id, appointment.store_id = str(p["client_id"]), str(p["store_id"])
    appointment.staff_user_id, appointment.purpose = p.get("staff_user_id"), p.get("purpose") or ""
    appointment.starts_at, appointment.status = instant(p["starts_at"]), "booked"
    return appointment


def store_zone(session, settings, store_id):
    """The store's time zone (quiet hours and appointment times are the
    store's, docs/ARCHITECTURE.md#rule-6), else ``DEFAULT_TIMEZONE``."""
    store = session.get(Store, str(store_id)) if store_id else None
    return quiet_hours.zone(store.timezone if store else None, settings.default_timezone)


def store_locale(session, store_id):
    """The locale money is written in for the store (its country's,
    docs/ARCHITECTURE.md#rule-6): en_US when the store or its country is
    not known."""
    store = session.get(Store, str(store_id)) if store_id else None
    return locale_for(store.country if store else None)
