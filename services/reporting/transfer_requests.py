"""Requests for a piece another store has.

A transfer request is advice, not a move: the owning store's manager ships
the piece with ``POST /transfers`` (inventory's rules apply there), and the
request follows the transfer's events (``follow_transfer``, from
``transfer.shipped`` / ``transfer.received``). Every change is kept in the
request's ``history`` (who, role, which store, when); the gateway's audit
trail has the requests.
"""
import uuid

from sqlalchemy import and_, or_, select

from chassis.clock import now
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.pagination import decode_time_cursor, encode_cursor
from chassis.validation import uuid_arg
from contracts.money import maybe_money

from .models import NO_STORE, HqPiece, HqTransferRequest


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
                         "price": maybe_money(piece.price_amount, piece.currency)}
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


def _requestable_piece(session, item_id, to_store_id):
    piece = session.get(HqPiece, str(item_id))
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
    return piece


def request_transfer(session, identity, data):
    """A request for ``data["item_id"]`` to the caller's store (or
    ``to_store_id``, which the gateway, owner of the stores, knows exists)."""
    to_store_id = _requesting_store(identity, data.get("to_store_id"))
    piece = _requestable_piece(session, data["item_id"], to_store_id)
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


def _touching(stmt, identity, q):
    """Only requests for or from the caller's stores (HQ and auditors: all)."""
    mine = None if identity.chain_wide else list(identity.store_ids) or ["-"]
    if q.get("store_id"):
        store_id = str(q["store_id"])
        if not identity.can_see_store(store_id):
            raise Forbidden("you may see only your own store's requests")
        mine = [store_id]
    if mine is None:
        return stmt
    if q.get("direction") == "incoming":
        return stmt.where(HqTransferRequest.from_store_id.in_(mine))
    if q.get("direction") == "outgoing":
        return stmt.where(HqTransferRequest.to_store_id.in_(mine))
    return stmt.where(or_(HqTransferRequest.from_store_id.in_(mine),
                          HqTransferRequest.to_store_id.in_(mine)))


def list_transfer_requests(session, identity, q):
    """Requests that touch the caller's stores (HQ and auditors: all), newest first."""
    stmt = _touching(select(HqTransferRequest), identity, q)
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
        HqPiece.item_id.in_([r.item_id for r in page] or [NO_STORE])))}
    return {"items": [request_view(r, pieces.get(r.item_id)) for r in page],
            "next_cursor": (encode_cursor([page[-1].created_at.isoformat(), page[-1].id])
                            if len(rows) > limit else None)}


def _history_entry(change, at, **details):
    return [{"at": at.isoformat(), "change": change, "actor_id": None, "actor_role": "system",
             **{k: str(v) for k, v in details.items()}}]


def follow_transfer(session, f, from_statuses, to_status, at):
    """Transfer requests for these pieces between these stores follow the transfer."""
    item_ids = sorted(str(i) for i in f["item_ids"])
    rows = session.scalars(select(HqTransferRequest).where(
        HqTransferRequest.item_id.in_(item_ids),
        HqTransferRequest.from_store_id == str(f["from_store_id"]),
        HqTransferRequest.to_store_id == str(f["to_store_id"]),
        HqTransferRequest.status.in_(from_statuses))
        .order_by(HqTransferRequest.id).with_for_update()).all()
    for r in rows:
        r.status, r.transfer_id, r.updated_at = to_status, str(f["transfer_id"]), at
        r.history = list(r.history or []) + _history_entry(to_status, at, transfer_id=f["transfer_id"])
