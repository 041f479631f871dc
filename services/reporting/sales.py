"""Sales and returns from payments' events: each sale (and its lines) and
each return is inserted once, by id, with the store's business day.

The rebuild reads payments' ``list_sales`` views (``load_sale_view``), then
takes the lines' category, metal and cost from the pieces
(``fill_line_facts``)."""
from sqlalchemy import Table, func, or_, update
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import instant
from chassis.sql import Precompiled

from .common import amount, facts, insert_new
from .models import HqPiece, HqReturn, HqReturnedItem, HqSale, HqSaleLine
from .stores import local_day

_SALES: Table = HqSale.__table__          # type: ignore[assignment]
_RETURNS: Table = HqReturn.__table__      # type: ignore[assignment]
_NEW_SALE = Precompiled(lambda: insert(_SALES).on_conflict_do_nothing().returning(_SALES.c.sale_id))
_NEW_SALE_LINE = insert_new(HqSaleLine)
_NEW_RETURN = Precompiled(lambda: insert(_RETURNS).on_conflict_do_nothing()
                          .returning(_RETURNS.c.return_id))
_NEW_RETURNED_ITEM = insert_new(HqReturnedItem)


def record_sale(session, sale, lines):
    """Insert a sale and its lines once (by sale id); False when it was known."""
    inserted = _NEW_SALE.execute(session, sale).first()
    if inserted is None:
        return False
    common = {k: sale[k] for k in ("sale_id", "store_id", "completed_at", "associate_id")}
    common["local_day"] = local_day(session, sale["store_id"], sale["completed_at"])
    rows = [common | {"currency": sale["currency"]} | line for line in lines]
    if rows:
        _NEW_SALE_LINE.execute(session, rows)
    return True


def record_return(session, ret, item_ids):
    ret = dict(ret, local_day=local_day(session, ret["store_id"], ret["returned_at"]))
    inserted = _NEW_RETURN.execute(session, ret).first()
    if inserted is None or not item_ids:
        return inserted is not None
    _NEW_RETURNED_ITEM.execute(session, [
        {"return_id": ret["return_id"], "item_id": str(i), "sale_id": ret["sale_id"]}
        for i in sorted({str(i) for i in item_ids})])
    return True


def sale_completed(session, event):
    f, at = facts(event)
    currency = f["total"]["currency"]
    sale = {"sale_id": str(f["sale_id"]), "store_id": str(f["store_id"]),
            "completed_at": instant(f.get("completed_at")) or at,
            "associate_id": f.get("associate_id"),
            "client_id": str(f["client_id"]) if f.get("client_id") else None,
            "receipt_number": f.get("receipt_number"), "currency": currency,
            "subtotal": amount(f["subtotal"]), "tax": amount(f["tax"]),
            "total": amount(f["total"])}
    lines = [{"line_no": n, "kind": line["kind"],
              "item_id": str(line["item_id"]) if line.get("item_id") else None,
              "category": line.get("category"), "metal_type": line.get("metal_type"),
              "amount": amount(line["amount"]), "discount": amount(line.get("discount")) or 0,
              "tax": amount(line.get("tax")) or 0, "cost": amount(line.get("cost"))}
             for n, line in enumerate(f["lines"])]
    record_sale(session, sale, lines)


def sale_returned(session, event):
    f, at = facts(event)
    record_return(session, {
        "return_id": str(f["return_id"]), "sale_id": str(f["sale_id"]),
        "store_id": str(f["store_id"]), "returned_at": instant(f.get("returned_at")) or at,
        "currency": f["refund"]["currency"], "refund": amount(f["refund"])}, f["item_ids"])


# --- rebuild ----------------------------------------------------------------------------------

def load_sale_view(session, view):
    """One sale from payments' ``list_sales`` view (a completed sale)."""
    currency = view["total"]["currency"]
    sale = {"sale_id": view["id"], "store_id": view["store_id"],
            "completed_at": instant(view["completed_at"]), "associate_id": view.get("associate_id"),
            "client_id": view.get("client_id"), "receipt_number": view.get("receipt_number"),
            "currency": currency, "subtotal": amount(view["subtotal"]),
            "tax": amount(view["tax"]), "total": amount(view["total"])}
    lines = [{"line_no": line.get("index", n), "kind": line["kind"], "item_id": line.get("item_id"),
              "category": None, "metal_type": None, "amount": amount(line["amount"]),
              "discount": amount((line.get("discount") or {}).get("amount")) or 0,
              "tax": amount(line.get("tax")) or 0, "cost": None}
             for n, line in enumerate(view.get("lines") or [])]
    record_sale(session, sale, lines)
    for r in view.get("returns") or []:
        if r.get("state") == "completed":
            record_return(session, {
                "return_id": r["id"], "sale_id": view["id"], "store_id": view["store_id"],
                "returned_at": instant(r["created_at"]), "currency": r["amount"]["currency"],
                "refund": amount(r["amount"])}, r.get("item_ids") or [])


def fill_line_facts(session):
    """Sale lines rebuilt from payments' views lack category, metal and cost:
    take them from the pieces."""
    session.execute(update(HqSaleLine).where(
        HqSaleLine.item_id == HqPiece.item_id, HqSaleLine.kind == "item",
        or_(HqSaleLine.category.is_(None), HqSaleLine.cost.is_(None)))
        .values(category=func.coalesce(HqSaleLine.category, HqPiece.category),
                metal_type=func.coalesce(HqSaleLine.metal_type, HqPiece.metal_type),
                cost=func.coalesce(HqSaleLine.cost, HqPiece.cost_amount)))
