"""Which stores a client belongs to, and what a caller of another store sees
(docs/ARCHITECTURE.md#rule-7): the client book is the chain's, so any store
finds a client and sells to them, seeing what identifies them (name, masked
phone, tier, home store); the full profile and every change belong to HQ
and the stores the client belongs to: the home store (its own, and that of
any client merged into it) and the stores of their purchases, work orders
and appointments. Another store's client "simply is not found" in full.

The set is derived from the rows the book already keeps (``purchases``,
the timeline's work-order lines, ``appointments``): a merge moves those
rows, so the survivor belongs where both belonged, with nothing to rebuild."""
import re

from sqlalchemy import literal, select, union

from chassis.errors import NotFound

from .common import resolve
from .models import Appointment, Client, Purchase, TimelineEntry

TRACK_LINK = re.compile(r"/track/[A-Za-z0-9_-]+")


def _rows(client_ids):
    ids = [str(c) for c in client_ids]
    return union(
        select(Client.id.label("client_id"), Client.home_store_id.label("store_id"))
        .where(Client.id.in_(ids)),
        select(Client.merged_into, Client.home_store_id).where(Client.merged_into.in_(ids)),
        select(Purchase.client_id, Purchase.store_id).where(Purchase.client_id.in_(ids)),
        select(TimelineEntry.client_id, TimelineEntry.store_id).where(
            TimelineEntry.client_id.in_(ids), TimelineEntry.kind == literal("work_order")),
        select(Appointment.client_id, Appointment.store_id).where(Appointment.client_id.in_(ids)),
    )


def stores_of(session, client_ids):
    """``{client_id: {store_id, ...}}`` for each of ``client_ids``."""
    found = {str(c): set() for c in client_ids}
    if not found:
        return found
    for client_id, store_id in session.execute(_rows(found)).all():
        if store_id:
            found.setdefault(str(client_id), set()).add(str(store_id))
    return found


def client_stores(session, client_id):
    return stores_of(session, [client_id])[str(client_id)]


def belongs(identity, stores):
    """HQ, auditors and the system see every client; store staff the
    clients of their stores."""
    return identity.chain_wide or bool(stores & set(identity.store_ids))


def is_member(session, identity, client):
    return identity.chain_wide or belongs(identity, client_stores(session, client.id))


def members_only(session, identity, client_id, lock=False):
    """The client (resolved through merges) for a caller it belongs to;
    ``NotFound("no such client")`` for a caller of another store."""
    client = resolve(session, client_id, lock=lock)
    if not is_member(session, identity, client):
        raise NotFound("no such client")
    return client


def scope_view(session, identity, client_id):
    """``{"client_id": <survivor>, "full": <the caller sees the full profile>}``."""
    client = resolve(session, client_id)
    return {"client_id": client.id, "full": is_member(session, identity, client)}


def masked_phone(phone):
    """Enough to confirm a number the client says: its last two digits."""
    if not phone:
        return None
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def identifying_view(client):
    """What any store sees of a client that is not theirs."""
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "phone": masked_phone(client.phone), "tier": client.tier,
            "home_store_id": client.home_store_id}


def shaped(session, identity, clients, view):
    """``view`` for the clients the caller belongs to, the identifying view
    for the rest (one query for a page of clients)."""
    if identity.chain_wide:
        return lambda c: view(c)
    member = {cid for cid, stores in stores_of(session, [c.id for c in clients]).items()
              if belongs(identity, stores)}
    return lambda c: view(c) if c.id in member else identifying_view(c)


def without_tracking(identity, entry_view):
    """A timeline line of another store's job carries no tracking token and
    no tracking link: the token approves the job's estimate
    (``/track/{token}/approve``), so it is for the job's store and the client."""
    if identity.chain_wide or (entry_view["store_id"] and entry_view["store_id"] in identity.store_ids):
        return entry_view
    details = {k: (TRACK_LINK.sub("/track/…", v) if isinstance(v, str) else v)
               for k, v in (entry_view["details"] or {}).items()
               if k not in ("tracking_token", "tracking_url")}
    return {**entry_view, "summary": TRACK_LINK.sub("/track/…", entry_view["summary"] or ""),
            "details": details}
