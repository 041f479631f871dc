"""What every inventory rule shares: the lifecycle of a piece, the caller's
scope over stores and pieces (docs/ARCHITECTURE.md#rule-7), row locks taken
in one order (docs/ARCHITECTURE.md#rule-5), and the piece's history."""
import json

from sqlalchemy import select

from chassis.errors import Conflict, Forbidden, InvalidInput
from chassis.scope import visible

from .models import Item, ItemHistory, Store

ON_HAND = ("in_stock", "reserved")          # physically in the store's cases or safe
# The statuses that count as the store's stock (value at cost and at retail,
# aging): the one definition in inventory; HQ's reporting keeps the same list.
IN_STOCK_VALUE = ("in_stock", "reserved", "in_transit", "on_memo_out", "missing")

# The lifecycle (docs/API.md#inventory): which status may follow which.
TRANSITIONS = {
    "in_stock": {"reserved", "in_transit", "on_memo_out", "returned_to_vendor", "missing"},
    "reserved": {"in_stock", "sold"},
    "sold": {"in_stock"},
    "in_transit": {"in_stock"},
    "on_memo_out": {"in_stock", "sold"},
    "missing": {"in_stock"},
    "returned_to_vendor": set(),
}


def store_for(session, identity, store_id, write=True, field="store_id"):
    """The store the caller acts for: unknown is bad input, another's is 403."""
    store = session.get(Store, str(store_id))
    if store is None:
        raise InvalidInput("unknown store", {field: ["unknown store"]})
    if not identity.can_see_store(store.id):
        raise Forbidden("you may not act for this store")
    if write and identity.read_only:
        raise Forbidden("read-only role")
    return store


def visible_item(session, identity, item_id, lock=False):
    """A piece the caller may see; another store's piece is simply not found."""
    return visible(session, Item, identity, item_id, "item", lock)


def lock_items(session, item_ids):
    """Lock the pieces in id order (no deadlock between two multi-piece sales)."""
    ids = sorted({str(i) for i in item_ids})
    rows = session.scalars(select(Item).where(Item.id.in_(ids)).order_by(Item.id)
                           .with_for_update()).all()
    found = {r.id: r for r in rows}
    return ids, found


def add_history(session, identity, item, change, from_status=None, to_status=None, **details):
    """One row of the piece's history: who, when, from which store."""
    session.add(ItemHistory(
        item_id=item.id, change=change, from_status=from_status, to_status=to_status,
        details=json.loads(json.dumps(details, default=str)), actor_id=identity.user_id,
        actor_role=identity.role, store_id=identity.store_id or item.store_id,
    ))


def move(session, identity, item, to_status, change, **details):
    """One lifecycle step of a locked piece; forbidden steps are 409."""
    if to_status not in TRANSITIONS[item.status]:
        raise Conflict(f"piece {item.tag} is {item.status}; it cannot become {to_status}")
    from_status = item.status
    item.status = to_status
    add_history(session, identity, item, change, from_status, to_status, **details)


def check_status(items, allowed, action):
    for item in items:
        if item.status not in allowed:
            raise Conflict(f"piece {item.tag} is {item.status}: it cannot be {action}")
