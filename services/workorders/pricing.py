"""Pricing a job's tasks from the chain's repair price list. Pure, no I/O;
amounts in minor units of the store's currency (docs/ARCHITECTURE.md#rule-6).

A list task (``code``) costs the list's unit price times its quantity
(sizes, prongs, stones, letters...); an engraving's quantity is the number
of letters of its text, spaces not counted. A free task costs what the
counter says, or is left to the estimate (``price`` null).
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class ListPrice:
    code: str
    name: str
    unit: str
    amount: int
    active: bool = True


def letters(text):
    return sum(1 for c in text or "" if not c.isspace())


def price_tasks(tasks, price_list, currency):
    """``(priced, errors)``: each task as stored, and field errors by path.

    ``price_list`` maps codes to ``ListPrice`` in ``currency``.
    """
    priced, errors = [], {}
    for n, task in enumerate(tasks):
        field = f"tasks.{n}"
        code, quantity, text = task.get("code"), task.get("quantity"), task.get("text")
        if code:
            entry = price_list.get(code)
            if entry is None or not entry.active:
                errors[f"{field}.code"] = [f"not on the repair price list in {currency}"]
                continue
            if quantity is None:
                if entry.unit == "letter":
                    if not text or not letters(text):
                        errors[f"{field}.text"] = ["give the text to engrave, or the number of letters"]
                        continue
                    quantity = letters(text)
                else:
                    quantity = 1
            priced.append({
                "code": code, "description": task.get("description") or entry.name,
                "quantity": quantity, "text": text, "unit_amount": entry.amount,
                "amount": entry.amount * quantity,
            })
        else:
            price = task.get("price")
            if price is not None and price["currency"] != currency:
                errors[f"{field}.price.currency"] = [f"the store works in {currency}"]
                continue
            priced.append({
                "code": None, "description": task["description"], "quantity": quantity or 1,
                "text": text, "unit_amount": None,
                "amount": price["amount"] if price is not None else None,
            })
    return priced, errors


def tasks_total(priced):
    return sum(t["amount"] for t in priced if t["amount"] is not None)


def needs_estimate(kind, priced, asked=None):
    """``(required, error)``: custom work and unpriced tasks need an estimate."""
    unpriced = not priced or any(t["amount"] is None for t in priced)
    if asked is None:
        return kind == "custom" or unpriced, None
    if asked is False and any(t["amount"] is None for t in priced):
        return False, "every task needs a price when no estimate is required"
    if asked is False and kind == "custom":
        return False, "custom work is always estimated"
    return bool(asked), None


def balance(total, deposits, paid):
    """What is still due, never below zero."""
    return max(total - deposits - paid, 0)
