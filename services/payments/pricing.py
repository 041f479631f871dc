"""Step 1 of the checkout saga: the lines of a request priced, from
inventory (pieces) and workorders (balances due); bad input is refused here
and nothing exists yet (docs/ARCHITECTURE.md#checkout-saga-payments-orchestrates)."""
from chassis.errors import Forbidden, NotFound

from . import deposits
from .money import bps_of, price_lines
from .receipt_content import insurance_facts


class Skip(Exception):
    """The line is refused: ``errors`` has the reason."""


def discount(line, list_amount, currency, identity, settings, errors, field):
    d = line.get("discount")
    if not d:
        return 0, None
    if d.get("amount") is not None:
        if d["amount"]["currency"] != currency:
            errors[f"{field}.discount.amount.currency"] = [f"the store sells in {currency}"]
            return 0, None
        amount = d["amount"]["amount"]
    else:
        amount = bps_of(list_amount, d["percent_bps"])
    if amount > list_amount:
        errors[f"{field}.discount"] = ["more than the line's price"]
        return 0, None
    if identity.role == "sales_associate" and list_amount and \
            amount * 10000 > settings.max_associate_discount_bps * list_amount:
        raise Forbidden(f"a discount above {settings.max_associate_discount_bps / 100:g}% "
                        "needs a store manager")
    return amount, d["reason"]


def _refuse(errors, field, message):
    errors[field] = [message]
    raise Skip()


def _item(line, store, items, errors, field, unavailable):
    item = items.get(str(line["item_id"]))
    if item is None:
        _refuse(errors, f"{field}.item_id", "no such piece")
    if item["store_id"] != store.id:
        _refuse(errors, f"{field}.item_id", f"piece {item['tag']} belongs to another store")
    if item["price"]["currency"] != store.currency:
        _refuse(errors, f"{field}.item_id", f"piece {item['tag']} is priced in "
                f"{item['price']['currency']}, the store sells in {store.currency}")
    if item["status"] != "in_stock":
        unavailable.append(f"piece {item['tag']} is {item['status']}")
    return {"kind": "item", "item_id": item["id"], "tag": item["tag"],
            "description": item.get("description") or "", "list_amount": item["price"]["amount"],
            "cost_amount": (item.get("cost") or {}).get("amount"),
            "category": item.get("category"), "metal_type": (item.get("metal") or {}).get("type"),
            "insurance": insurance_facts(item)}


def _work_order(ctx, line, store, client_id, errors, field):
    """The line paying a work order's balance, and the client it is for."""
    try:
        due = ctx.workorders.balance_due(str(line["work_order_id"]))
    except NotFound:
        _refuse(errors, f"{field}.work_order_id", "no such work order")
    if str(due["store_id"]) != store.id:
        _refuse(errors, f"{field}.work_order_id", "the work order belongs to another store")
    balance = due["balance"]
    # payments' own books: a deposit workorders has not heard of yet is still counted
    left = ctx.step(deposits.balance_due, str(line["work_order_id"]), due)
    if balance["currency"] != store.currency or left <= 0:
        _refuse(errors, f"{field}.work_order_id", "nothing is due on this work order")
    if client_id and due.get("client_id") and str(due["client_id"]) != client_id:
        _refuse(errors, f"{field}.work_order_id", "the work order is another client's")
    client_id = client_id or (str(due["client_id"]) if due.get("client_id") else None)
    description = line.get("description") or f"Work order {due.get('number') or ''}".strip()
    return {"kind": "work_order", "work_order_id": str(line["work_order_id"]),
            "description": description, "list_amount": left}, client_id


def _amount(line, key, currency, errors, field):
    amount = line[key]["amount"] if key == "gift_card" else line[key]
    if amount["currency"] != currency:
        prefix = f"{field}.gift_card" if key == "gift_card" else field
        _refuse(errors, f"{prefix}.amount.currency", f"the store sells in {currency}")
    if key == "gift_card":
        return {"kind": "gift_card", "description": "Gift card", "list_amount": amount["amount"],
                "taxable": False}
    return {"kind": "free", "description": line["description"], "list_amount": amount["amount"]}


def price_request_lines(ctx, store, data, errors):
    """Lines with list price, discount and facts, from inventory and workorders;
    returns ``(lines, unavailable, client_id)``."""
    lines, unavailable = [], []
    item_ids = [str(l["item_id"]) for l in data["lines"] if l.get("item_id")]
    if len(item_ids) != len(set(item_ids)):
        errors["lines"] = ["the same piece appears twice"]
    items = {i["id"]: i for i in ctx.inventory.get_items(item_ids)} if item_ids else {}
    client_id = str(data["client_id"]) if data.get("client_id") else None
    for n, line in enumerate(data["lines"]):
        field = f"lines.{n}"
        entry = {"position": n, "taxable": True if line.get("taxable") is None else line["taxable"]}
        try:
            if line.get("item_id"):
                entry.update(_item(line, store, items, errors, field, unavailable))
            elif line.get("work_order_id"):
                facts, client_id = _work_order(ctx, line, store, client_id, errors, field)
                entry.update(facts)
            else:
                entry.update(_amount(line, "gift_card" if line.get("gift_card") else "amount",
                                     store.currency, errors, field))
        except Skip:
            continue
        entry["discount_amount"], entry["discount_reason"] = discount(
            line, entry["list_amount"], store.currency, ctx.identity, ctx.settings, errors, field)
        lines.append(entry)
    return lines, unavailable, client_id


def priced(lines, store, exempt, errors):
    """The sale's totals, or None when a line was refused."""
    return price_lines(lines, store.tax_rate_bps, exempt) if not errors else None


def with_amounts(lines, totals):
    """Each line with its net amount and tax."""
    for line, p in zip(lines, totals["lines"]):
        line.update(amount=p["amount"], tax=p["tax"])
    return lines
