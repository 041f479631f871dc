"""Wish lists: a piece by its item id, or a described wish. When a wished
piece is held or sold for someone else, or its price drops, the client's
associate sees it on the client's timeline."""
from sqlalchemy import delete, select

from chassis.errors import NotFound

from .common import add_timeline, history, iso, occurred_at, require_writer, resolve
from .models import Client, Purchase, TimelineEntry, Wish
from .scope import members_only

ALERT_HOLDS = ("hold", "layaway", "memo")   # a sale's own hold is followed by item.sold


def view(wish):
    return {"id": wish.id, "item_id": wish.item_id, "description": wish.description,
            "note": wish.note, "status": wish.status, "created_at": iso(wish.created_at)}


def add(session, identity, client_id, data):
    require_writer(identity)
    client = members_only(session, identity, client_id, lock=True)
    item_id = str(data["item_id"]) if data.get("item_id") else None
    if item_id:
        same = session.scalars(select(Wish).where(
            Wish.client_id == client.id, Wish.item_id == item_id, Wish.status == "open")).first()
        if same is not None:
            return view(same)
    wish = Wish(client_id=client.id, item_id=item_id, description=data.get("description"),
                note=data.get("note"), created_by=identity.user_id)
    session.add(wish)
    session.flush()
    history(session, identity, "wish", wish.id, "wished", client.id, item_id=item_id,
            description=wish.description)
    return view(wish)


def remove(session, identity, client_id, wish_id):
    require_writer(identity)
    client = members_only(session, identity, client_id, lock=True)
    wish = session.get(Wish, str(wish_id))
    if wish is None or wish.client_id != client.id:
        raise NotFound("no such wish")
    if wish.status == "open":
        wish.status = "removed"
        history(session, identity, "wish", wish.id, "removed", client.id)
    return view(wish)


def open_wishes(session, client_id):
    return session.scalars(select(Wish).where(Wish.client_id == client_id,
                                              Wish.status.in_(("open", "unavailable")))
                           .order_by(Wish.created_at, Wish.id)).all()


def fulfil(session, identity, client, item_ids):
    """The client bought pieces they wished for; alerts about them are moot."""
    if not item_ids:
        return
    for wish in session.scalars(select(Wish).where(
            Wish.client_id == client.id, Wish.item_id.in_(item_ids),
            Wish.status.in_(("open", "unavailable")))):
        wish.status = "fulfilled"
        history(session, identity, "wish", wish.id, "fulfilled", client.id, item_id=wish.item_id)
    session.execute(delete(TimelineEntry).where(
        TimelineEntry.client_id == client.id, TimelineEntry.kind == "wish_alert",
        TimelineEntry.ref_id.in_(item_ids),
        TimelineEntry.details["event"].astext.in_(("reserved", "sold"))))


def _is_own(session, client, event_type, payload):
    if event_type == "item.reserved":
        return payload.get("client_id") and str(payload["client_id"]) == client.id
    if event_type == "item.sold":
        return session.scalars(select(Purchase.id).where(
            Purchase.sale_id == str(payload["sale_id"]), Purchase.kind == "sale",
            Purchase.client_id == client.id)).first() is not None
    return False


def may_alert(event):
    """Whether an item event can alert anyone who wished for the piece: a
    sale's own hold (followed by ``item.sold``) and a price going up cannot."""
    event_type, payload = event.event_type, event.payload
    if event_type == "item.reserved" and payload.get("reason") not in ALERT_HOLDS:
        return False
    if event_type == "item.price_changed" and \
            payload["new_price"]["amount"] >= payload["old_price"]["amount"]:
        return False
    return True


def wished(session, item_id):
    """Anyone waits for this piece (one statement)."""
    return session.scalar(select(Wish.id).where(Wish.item_id == str(item_id),
                                                Wish.status == "open").limit(1)) is not None


def on_item_event(session, identity, event):
    """``item.reserved`` / ``item.sold`` / ``item.price_changed`` from inventory."""
    event_type, payload = event.event_type, event.payload
    item_id = str(payload["item_id"])
    if not may_alert(event):
        return 0
    wishes = session.scalars(select(Wish).where(Wish.item_id == item_id,
                                                Wish.status == "open")).all()
    alerted = 0
    for wish in wishes:
        client = session.get(Client, wish.client_id)
        if client.merged_into:
            client = resolve(session, client.id)
        if _is_own(session, client, event_type, payload):
            continue
        if event_type == "item.price_changed":
            kind, summary = "price_dropped", "A wished piece's price dropped"
            details = {"old_price": payload["old_price"], "new_price": payload["new_price"]}
        elif event_type == "item.sold":
            kind, summary = "sold", "A wished piece was sold to another client"
            details = {"sale_id": str(payload["sale_id"])}
            wish.status = "unavailable"
        else:
            kind, summary = "reserved", f"A wished piece was put on {payload['reason']} for another client"
            details = {"reason": payload["reason"], "expires_at": payload.get("expires_at")}
        details.update(event=kind, wish_id=wish.id, item_id=item_id)
        add_timeline(session, client, "wish_alert", occurred_at(event), summary,
                     store_id=str(payload["store_id"]), ref_id=item_id,
                     for_associate_id=client.associate_id, details=details)
        history(session, identity, "wish", wish.id, f"alert_{kind}", client.id, item_id=item_id)
        alerted += 1
    return alerted
