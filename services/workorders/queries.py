"""Reading jobs (docs/API.md#work-orders): the bench board, lists, a job's
history, HQ's counts and the client's public tracking page."""

from sqlalchemy import and_, case, func, literal, select

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.pagination import decode_cursor as _decode_cursor, encode_cursor
from contracts.rpc.workorders import TRACKING_TOKEN

from . import stages
from .approval import approve
from .jobs import load
from .models import Client, History, Payment, Store, WorkOrder
from .views import estimate_view, order_view


def decode_cursor(cursor, width):
    """Work order cursors hold non-negative integers only."""
    values = _decode_cursor(cursor, types=(int,) * width)
    if not all(isinstance(v, int) and v >= 0 for v in values):
        raise InvalidInput("not a valid cursor", {"cursor": ["not a cursor this API gave out"]})
    return values


def overdue_clause(at):
    """Unfinished and past its promised day in the store's own time zone."""
    local_today = func.date(func.timezone(Store.timezone, literal(at)))
    return and_(WorkOrder.stage.notin_(stages.FINISHED), WorkOrder.promised_date < local_today)


def _scope(identity, store_id):
    if store_id is not None:
        if not identity.can_see_store(store_id):
            raise Forbidden("you may not see this store's jobs")
        return [WorkOrder.store_id == str(store_id)]
    if identity.chain_wide:
        return []
    return [WorkOrder.store_id.in_(list(identity.store_ids))]


def _views(session, rows, at):
    """Summary views of many jobs with three queries, not three per job."""
    if not rows:
        return []
    stores = {s.id: s for s in session.scalars(select(Store).where(
        Store.id.in_({wo.store_id for wo in rows})))}
    clients = {c.id: c for c in session.scalars(select(Client).where(
        Client.id.in_({wo.client_id for wo in rows})))}
    deposits = dict(session.execute(
        select(Payment.work_order_id, func.sum(Payment.amount))
        .join(WorkOrder, WorkOrder.id == Payment.work_order_id)
        .where(Payment.work_order_id.in_([wo.id for wo in rows]),
               Payment.currency == WorkOrder.currency)
        .group_by(Payment.work_order_id)).all())
    return [order_view(wo, stores[wo.store_id], clients.get(wo.client_id),
                       int(deposits.get(wo.id) or 0), at) for wo in rows]


def _board_order(at):
    overdue = overdue_clause(at)
    return [case((overdue, 0), else_=1), case((WorkOrder.rush, 0), else_=1),
            WorkOrder.promised_date, WorkOrder.created_at, WorkOrder.id]


def list_work_orders(session, identity, query, at=None):
    """Jobs by store, stage, assignee, client, kind; overdue first, then
    rush, then by promised date."""
    at = at or now()
    stmt = select(WorkOrder).join(Store, Store.id == WorkOrder.store_id).where(
        *_scope(identity, query.get("store_id")))
    if query.get("stage"):
        stmt = stmt.where(WorkOrder.stage == query["stage"])
    if query.get("assignee_id"):
        stmt = stmt.where(WorkOrder.assignee_id == query["assignee_id"])
    if query.get("client_id"):
        stmt = stmt.where(WorkOrder.client_id == str(query["client_id"]))
    if query.get("kind"):
        stmt = stmt.where(WorkOrder.kind == query["kind"])
    if query.get("overdue") is True:
        stmt = stmt.where(overdue_clause(at))
    elif query.get("overdue") is False:
        stmt = stmt.where(~overdue_clause(at))
    if query.get("open") is True:
        stmt = stmt.where(WorkOrder.stage.notin_(stages.CLOSED))
    elif query.get("open") is False:
        stmt = stmt.where(WorkOrder.stage.in_(stages.CLOSED))
    limit = query.get("limit") or 50
    offset = decode_cursor(query["cursor"], 1)[0] if query.get("cursor") else 0
    rows = session.scalars(stmt.order_by(*_board_order(at)).offset(offset).limit(limit + 1)).all()
    return {"items": _views(session, rows[:limit], at),
            "next_cursor": encode_cursor([offset + limit]) if len(rows) > limit else None}


def board(session, identity, query, at=None, per_stage=200):
    """A store's bench: open jobs in columns by stage (workflow order),
    overdue first in each, and how many each jeweler holds."""
    at = at or now()
    store_id = str(query["store_id"])
    if not identity.can_see_store(store_id):
        raise NotFound("no such store")
    stmt = (select(WorkOrder).join(Store, Store.id == WorkOrder.store_id)
            .where(WorkOrder.store_id == store_id, WorkOrder.stage.notin_(stages.CLOSED)))
    if query.get("assignee_id"):
        stmt = stmt.where(WorkOrder.assignee_id == query["assignee_id"])
    rows = session.scalars(stmt.order_by(*_board_order(at)).limit(per_stage * 12)).all()
    columns = {s: [] for s in stages.STAGES if s not in stages.CLOSED}
    by_assignee = {}
    views = _views(session, rows, at)
    for view in views:
        if len(columns[view["stage"]]) < per_stage:
            columns[view["stage"]].append(view)
        key = view["assignee_id"] or ""
        by_assignee[key] = by_assignee.get(key, 0) + 1
    return {"store_id": store_id, "columns": columns, "by_assignee": by_assignee,
            "overdue": sum(1 for v in views if v["overdue"])}


def history(session, identity, wo_id, query):
    """Every change of the job, oldest first."""
    wo = load(session, identity, wo_id)
    limit = query.get("limit") or 50
    stmt = select(History).where(History.work_order_id == wo.id)
    if query.get("cursor"):
        stmt = stmt.where(History.id > decode_cursor(query["cursor"], 1)[0])
    rows = session.scalars(stmt.order_by(History.id).limit(limit + 1)).all()
    items = [{
        "at": h.at.isoformat(), "actor_id": h.actor_id, "actor_role": h.actor_role,
        "actor_name": h.actor_name, "store_id": h.store_id, "change": h.change,
        "from_stage": h.from_stage, "to_stage": h.to_stage, "note": h.note,
        "details": h.details or {},
    } for h in rows[:limit]]
    return {"items": items,
            "next_cursor": encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None}


def summary(session, identity, at=None):
    """Per store: open jobs, overdue ones, and jobs waiting for pickup."""
    at = at or now()
    stmt = (select(WorkOrder.store_id,
                   func.count().filter(WorkOrder.stage.notin_(stages.CLOSED)),
                   func.count().filter(overdue_clause(at)),
                   func.count().filter(WorkOrder.stage == "ready_for_pickup"))
            .join(Store, Store.id == WorkOrder.store_id)
            .where(*_scope(identity, None)).group_by(WorkOrder.store_id))
    return {store_id: {"open": open_, "overdue": overdue, "ready_for_pickup": ready}
            for store_id, open_, overdue, ready in session.execute(stmt)}


# --- the client's tracking page ---------------------------------------------------------

def by_token(session, token, lock=False):
    if not isinstance(token, str) or not TRACKING_TOKEN.match(token):
        raise NotFound("no such job")
    stmt = select(WorkOrder).where(WorkOrder.tracking_token == token)
    if lock:
        stmt = stmt.with_for_update()
    wo = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if wo is None:
        raise NotFound("no such job")
    return wo


def tracking_view(session, wo):
    """What the person holding the token may see: the job's stage, promised
    date and the store's contact and country. No names, notes or photos; a price only
    while an estimate waits for their approval."""
    store = session.get(Store, wo.store_id)
    waiting = wo.stage == "awaiting_approval"
    estimate = None
    if waiting:
        full = estimate_view(wo)
        estimate = {"amount": full["amount"], "note": full["note"],
                    "estimated_at": full["estimated_at"], "status": full["status"]}
    return {
        "number": wo.number, "kind": wo.kind, "stage": wo.stage,
        "stage_label": stages.LABELS[wo.stage], "promised_date": wo.promised_date.isoformat(),
        "ready_for_pickup": wo.stage == "ready_for_pickup",
        # the country: the page prints the estimate in the store's locale
        "store": {"name": store.name, "phone": store.phone, "address": store.address,
                  "country": store.country},
        "updated_at": wo.updated_at.isoformat(), "estimate": estimate, "can_approve": waiting,
    }


def track(session, token):
    return tracking_view(session, by_token(session, token))


def approve_by_token(session, identity, token, at=None):
    """The client approves the estimate from the tracking page."""
    wo = by_token(session, token)
    if wo.approved_at is not None:
        raise Conflict("the estimate was already approved")
    if wo.stage != "awaiting_approval":
        raise Conflict("no estimate is waiting for approval")
    approve(session, identity, wo.id, {"note": "approved on the tracking page"}, at=at,
            via="tracking_page", wo=wo)
    return tracking_view(session, wo)
