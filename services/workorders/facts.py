"""Store and client facts kept from other services' events (their copies
here: docs/ARCHITECTURE.md#rule-1), and the chain's repair price list (owned
here, edited by HQ)."""
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import now
from chassis.identity import SYSTEM
from chassis.stores import record_store as upsert_store
from contracts.money import money

from .jobs import PRICE_EDITORS
from .models import Client, History, RepairPrice, RepairPriceChange, Store, WorkOrder
from .pricing import ListPrice

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def occurred_at(event):
    """When the event's fact happened (its envelope, docs/ARCHITECTURE.md#rule-4);
    now when the envelope does not say."""
    try:
        return event.occurred_at or now()
    except (KeyError, TypeError, ValueError):
        return now()


def _upsert(session, model, values):
    """Insert or update; an older fact never overwrites a newer one."""
    stmt = insert(model).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[model.id],
        set_={k: stmt.excluded[k] for k in values if k != "id"},
        where=model.facts_at <= stmt.excluded.facts_at,
    )
    session.execute(stmt)


def record_store(session, event):
    """``store.created`` / ``store.updated`` from the gateway; the newest facts win."""
    upsert_store(session, Store, event.payload, at=occurred_at(event))


def record_client(session, event):
    p = event.payload
    _upsert(session, Client, {
        "id": str(p["client_id"]), "first_name": p["first_name"], "last_name": p["last_name"],
        "phone": p.get("phone"), "email": p.get("email"), "facts_at": occurred_at(event),
    })


def merge_client(session, event):
    """The duplicate's jobs belong to the survivor from now on."""
    p = event.payload
    survivor, merged = str(p["survivor_id"]), str(p["merged_id"])
    if survivor == merged:
        return
    duplicate = session.get(Client, merged)
    if session.get(Client, survivor) is None and duplicate is not None:
        # facts of the survivor will follow; until then it is known by the duplicate's name
        session.execute(insert(Client).values(
            id=survivor, first_name=duplicate.first_name, last_name=duplicate.last_name,
            phone=duplicate.phone, email=duplicate.email, facts_at=EPOCH,
        ).on_conflict_do_nothing())
    if duplicate is None:
        return
    session.execute(update(Client).where(Client.id == merged).values(merged_into=survivor))
    moved = session.execute(
        update(WorkOrder).where(WorkOrder.client_id == merged)
        .values(client_id=survivor).returning(WorkOrder.id, WorkOrder.store_id)
    ).all()
    for wo_id, store_id in moved:
        session.add(History(work_order_id=wo_id, at=occurred_at(event), actor_id=event.actor_id,
                            actor_role=SYSTEM, actor_name="crm:client.merged", store_id=store_id,
                            change="client_merged",
                            details={"from_client_id": merged, "to_client_id": survivor}))


def resolve_client(session, client_id):
    """The client, following merges; None when unknown."""
    client = session.get(Client, str(client_id))
    hops = 0
    while client is not None and client.merged_into and hops < 10:
        client = session.get(Client, client.merged_into)
        hops += 1
    return client


# --- the repair price list -------------------------------------------------------------

def price_list(session, currency, include_inactive=True):
    stmt = select(RepairPrice).where(RepairPrice.currency == currency)
    if not include_inactive:
        stmt = stmt.where(RepairPrice.active.is_(True))
    return {p.code: ListPrice(p.code, p.name, p.unit, p.price_amount, p.active)
            for p in session.scalars(stmt)}


def price_view(p):
    return {"code": p.code, "currency": p.currency, "name": p.name, "unit": p.unit,
            "price": money(p.price_amount, p.currency), "active": p.active,
            "updated_at": p.updated_at.isoformat() if p.updated_at else None}


def list_prices(session, identity, query):
    stmt = select(RepairPrice).order_by(RepairPrice.currency, RepairPrice.name, RepairPrice.code)
    if query.get("currency"):
        stmt = stmt.where(RepairPrice.currency == query["currency"])
    if not query.get("include_inactive"):
        stmt = stmt.where(RepairPrice.active.is_(True))
    return {"items": [price_view(p) for p in session.scalars(stmt)]}


def set_price(session, identity, code, data, at):
    """HQ adds or changes one line of the list; the change is kept."""
    identity.require(PRICE_EDITORS, "edit the repair price list")
    current = session.get(RepairPrice, (code, data["currency"]), with_for_update=True)
    before = price_view(current) if current is not None else None
    values = {"name": data["name"], "unit": data["unit"], "price_amount": data["price"]["amount"],
              "active": data["active"], "updated_at": at, "updated_by": identity.user_id}
    if current is None:
        current = RepairPrice(code=code, currency=data["currency"], **values)
        session.add(current)
    else:
        for key, value in values.items():
            setattr(current, key, value)
    session.flush()
    after = price_view(current)
    session.add(RepairPriceChange(code=code, currency=data["currency"], before=before, after=after,
                                  actor_id=identity.user_id, actor_role=identity.role,
                                  store_id=identity.store_id, at=at))
    return after
