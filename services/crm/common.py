"""What every part of the client book shares: who may do what, finding a
client (through merges), the history of changes, and list cursors.

Roles are the named sets of ``chassis.identity`` (docs/API.md#conventions),
time is ``chassis.clock`` (docs/ARCHITECTURE.md#rule-6), and who may see a
client's full profile follows docs/ARCHITECTURE.md#rule-7."""
import json

from sqlalchemy import select

from chassis.clock import instant, now
from chassis.display import locale_for
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.identity import BENCH_JEWELER, MANAGERS, SELLERS, with_system
from chassis.pagination import decode_cursor, page  # noqa: F401  (re-exported)

from .models import Client, History, Store, TimelineEntry

WRITERS = with_system(SELLERS)
MERGERS = with_system(MANAGERS)


def occurred_at(event, field=None):
    """When an event's fact happened: a payload field if given, else the envelope's."""
    for raw in (event.payload.get(field) if field else None, event.get("occurred_at")):
        if raw:
            try:
                return instant(raw)
            except ValueError:
                continue
    return now()


def iso(value):
    return value.isoformat() if value is not None else None


# --- roles -----------------------------------------------------------------------

def full_view_allowed(identity):
    """A bench jeweler sees only what a job needs (name, phone)."""
    return identity.role != BENCH_JEWELER


def require_full_view(identity):
    if not full_view_allowed(identity):
        raise Forbidden("a bench jeweler sees a client's name and phone only")


def require_writer(identity, roles=WRITERS):
    """403 "read-only role" for the auditor, "a <role> may not do this" for a
    role outside ``roles``."""
    identity.require(roles, "do this")


def acting_store(identity):
    """The store a request acts from: the one named, or a user's only store."""
    if identity.store_id:
        return str(identity.store_id)
    if len(identity.store_ids) == 1:
        return identity.store_ids[0]
    return None


# --- stores ----------------------------------------------------------------------

def known_store(session, store_id, field="store_id"):
    store = session.get(Store, str(store_id))
    if store is None:
        raise InvalidInput("unknown store", {field: ["unknown store"]})
    return store


def phone_region(session, identity, settings, store_id=None):
    """Numbers without a country code are read as the store's country."""
    for candidate in (store_id, acting_store(identity)):
        if candidate:
            store = session.get(Store, str(candidate))
            if store is not None and store.country:
                return store.country
    return settings.default_country


def store_locale(session, store_id, settings):
    """The locale the staff of ``store_id`` read money in (its country's;
    the chain's default country's while the store is not known here)."""
    store = session.get(Store, str(store_id)) if store_id else None
    country = store.country if store is not None and store.country else settings.default_country
    return locale_for(country)


# --- clients ---------------------------------------------------------------------

def resolve(session, client_id, lock=False):
    """The client an id names; a merged client's id names its survivor.

    With ``lock`` the survivor's row is locked for the rest of the
    transaction (redemptions, purchases and merges of one client queue).
    """
    seen = 0
    current = str(client_id)
    while True:
        query = select(Client).where(Client.id == current)
        if lock:
            query = query.with_for_update()
        client = session.scalars(query).first()
        if client is None:
            raise NotFound("no such client")
        if client.merged_into is None:
            return client
        current = client.merged_into
        seen += 1
        if seen > 20:  # merges are flattened; this is only a guard
            raise NotFound("no such client")


def history(session, identity, entity, entity_id, change, client_id=None, **details):
    session.add(History(
        client_id=client_id, entity=entity, entity_id=str(entity_id), change=change,
        details=json.loads(json.dumps(details, default=str)),
        actor_id=identity.user_id, actor_role=identity.role, store_id=acting_store(identity),
    ))


def add_timeline(session, client, kind, at, summary, store_id=None, ref_id=None,
                 for_associate_id=None, details=None):
    """One line on a client's timeline (kept by the crm from events it saw)."""
    entry = TimelineEntry(
        client_id=client.id if hasattr(client, "id") else str(client), kind=kind, at=at,
        summary=summary, store_id=store_id, ref_id=ref_id, for_associate_id=for_associate_id,
        details=json.loads(json.dumps(details or {}, default=str)),
    )
    session.add(entry)
    return entry
