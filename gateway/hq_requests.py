"""What HQ and the stores record in the gateway itself: exchange rates into
the chain's reporting currency, and requests for a piece another store has.

A transfer request is advice, not a move: the owning store's manager ships
the piece with ``POST /transfers`` (inventory's rules apply there), and the
request follows the transfer's events (``reporting.transfer_shipped`` /
``transfer_received``). Every change is kept in the request's ``history``
(who, role, which store, when); the gateway's audit trail has the requests.
"""
import uuid

from sqlalchemy import and_, or_, select

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.pagination import decode_time_cursor, encode_cursor
from chassis.validation import uuid_arg

from .hq_reports import plain_rate, reporting_currency
from .models import Store
from .reporting import now
from .reporting_models import HqFxRate, HqPiece, HqTransferRequest

# --- exchange rates ---------------------------------------------------------------------------

def fx_view(r):
    return {"id": r.id, "currency": r.currency, "reporting_currency": r.reporting_currency,
            "rate": plain_rate(r.rate), "effective_at": r.effective_at.isoformat(),
            "created_by": r.created_by,
            "created_at": r.created_at.isoformat() if r.created_at else None}


def record_fx_rate(session, identity, data):
    """A rate into the reporting currency from ``effective_at`` (default now)."""
    reporting = reporting_currency()
    if data["currency"] == reporting:
        raise InvalidInput("the reporting currency has no rate",
                           {"currency": [f"{reporting} is the chain's reporting currency: "
                                         "its rate is 1"]})
    row = HqFxRate(currency=data["currency"], reporting_currency=reporting, rate=data["rate"],
                   effective_at=data.get("effective_at") or now(), created_by=identity.user_id)
    session.add(row)
    session.flush()
    session.refresh(row)
    return fx_view(row)


def list_fx_rates(session, at=None):
    """The rate in force for each currency, newest first."""
    reporting = reporting_currency()
    rows = session.scalars(
        select(HqFxRate).where(HqFxRate.reporting_currency == reporting,
                               HqFxRate.effective_at <= (at or now()))
        .distinct(HqFxRate.currency)
        .order_by(HqFxRate.currency, HqFxRate.effective_at.desc(), HqFxRate.id.desc())).all()
    return {"reporting_currency": reporting, "items": [fx_view(r) for r in rows]}


# --- transfer requests ------------------------------------------------------------------------

def _entry(identity, change, **details):
    return {"at": now().isoformat(), "change": change, "actor_id": identity.user_id,
            "actor_role": identity.role, "store_id": identity.store_id,
            **{k: (str(v) if v is not None else None) for k, v in details.items()}}


def request_view(r, piece=None):
    view = {"id": r.id, "item_id": r.item_id, "tag": r.tag, "from_store_id": r.from_store_id,
            "to_store_id": r.to_store_id, "status": r.status, "note": r.note,
            "requested_by": r.requested_by, "requested_role": r.requested_role,
            "transfer_id": r.transfer_id, "decided_by": r.decided_by, "reason": r.reason,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "updated_at": r.updated_at.isoformat() if r.updated_at else None,
            "history": r.history or []}
    if piece is not None:   # what any store may see of a piece: never cost, vendor or history
        view["piece"] = {"tag": piece.tag, "description": piece.description,
                         "category": piece.category,
                         "price": ({"amount": piece.price_amount, "currency": piece.currency}
                                   if piece.price_amount is not None else None)}
    return view


def _requesting_store(identity, to_store_id):
    store_id = str(to_store_id) if to_store_id else (
        identity.store_id or (identity.store_ids[0] if len(identity.store_ids) == 1 else None))
    if store_id is None:
        raise InvalidInput("which store wants the piece?",
                           {"to_store_id": ["required: you do not act for exactly one store"]})
    if not identity.can_see_store(store_id):
        raise Forbidden("you may request pieces only for your own store")
    return store_id


def request_transfer(session, identity, data):
    to_store_id = _requesting_store(identity, data.get("to_store_id"))
    if session.get(Store, to_store_id) is None:
        raise InvalidInput("unknown store", {"to_store_id": ["unknown store"]})
    piece = session.get(HqPiece, str(data["item_id"]))
    if piece is None or piece.received_at is None or piece.store_id is None:
        raise InvalidInput("unknown piece", {"item_id": ["no such piece in the chain's stock"]})
    if piece.store_id == to_store_id:
        raise InvalidInput("the piece is already there",
                           {"item_id": ["this piece is already at the requesting store"]})
    if piece.status != "in_stock":
        raise Conflict(f"piece {piece.tag} is {piece.status}: it cannot be requested now")
    open_ = session.scalars(select(HqTransferRequest).where(
        HqTransferRequest.item_id == piece.item_id, HqTransferRequest.to_store_id == to_store_id,
        HqTransferRequest.status == "open")).first()
    if open_ is not None:
        raise Conflict(f"piece {piece.tag} is already requested for this store ({open_.id})")
    request = HqTransferRequest(
        id=str(uuid.uuid4()), item_id=piece.item_id, tag=piece.tag,
        from_store_id=piece.store_id, to_store_id=to_store_id, status="open",
        note=data.get("note"), requested_by=identity.user_id, requested_role=identity.role,
        history=[_entry(identity, "requested", to_store_id=to_store_id)])
    session.add(request)
    session.flush()
    session.refresh(request)
    return request_view(request, piece)


def decline_transfer_request(session, identity, request_id, reason=None):
    """The owning store says no (its manager or HQ)."""
    r = session.scalars(select(HqTransferRequest).where(HqTransferRequest.id == str(request_id))
                        .with_for_update()).first()
    if r is None or not (identity.can_see_store(r.from_store_id)
                         or identity.can_see_store(r.to_store_id)):
        raise NotFound("no such transfer request")
    if not identity.can_see_store(r.from_store_id):
        raise Forbidden("only the store that has the piece declines its request")
    if r.status != "open":
        raise Conflict(f"this request is already {r.status}")
    r.status, r.decided_by, r.reason, r.updated_at = "declined", identity.user_id, reason, now()
    r.history = list(r.history or []) + [_entry(identity, "declined", reason=reason)]
    session.flush()
    return request_view(r, session.get(HqPiece, r.item_id))


def list_transfer_requests(session, identity, q):
    """Requests that touch the caller's stores (HQ and auditors: all), newest first."""
    stmt = select(HqTransferRequest)
    mine = None if identity.chain_wide else list(identity.store_ids) or ["-"]
    if q.get("store_id"):
        store_id = str(q["store_id"])
        if not identity.can_see_store(store_id):
            raise Forbidden("you may see only your own store's requests")
        mine = [store_id]
    if mine is not None:
        if q.get("direction") == "incoming":
            stmt = stmt.where(HqTransferRequest.from_store_id.in_(mine))
        elif q.get("direction") == "outgoing":
            stmt = stmt.where(HqTransferRequest.to_store_id.in_(mine))
        else:
            stmt = stmt.where(or_(HqTransferRequest.from_store_id.in_(mine),
                                  HqTransferRequest.to_store_id.in_(mine)))
    if q.get("status"):
        stmt = stmt.where(HqTransferRequest.status == q["status"])
    if q.get("cursor"):
        at, rid = decode_time_cursor(q["cursor"])
        rid = uuid_arg(rid, "cursor")
        stmt = stmt.where(or_(HqTransferRequest.created_at < at,
                              and_(HqTransferRequest.created_at == at, HqTransferRequest.id < rid)))
    limit = q.get("limit") or 50
    rows = session.scalars(stmt.order_by(HqTransferRequest.created_at.desc(),
                                         HqTransferRequest.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    pieces = {p.item_id: p for p in session.scalars(select(HqPiece).where(
        HqPiece.item_id.in_([r.item_id for r in page] or ["00000000-0000-0000-0000-000000000000"])))}
    return {"items": [request_view(r, pieces.get(r.item_id)) for r in page],
            "next_cursor": (encode_cursor([page[-1].created_at.isoformat(), page[-1].id])
                            if len(rows) > limit else None)}
