"""Commissions per associate: net sales before tax (less returned pieces)
times a rate by role (config ``COMMISSION_RATES_BPS``); returns count in the
period they happen (docs/API.md#sales-and-payments). Sales figures are HQ's
read model's (``GET /reports/sales``), not payments'."""
from sqlalchemy import func, select

from chassis.errors import Forbidden
from chassis.identity import OVERSIGHT, with_system
from contracts.money import money

from .models import Return, Sale, SaleLine
from .money import bps_of

READERS = with_system(OVERSIGHT)


def _scope(identity, store_id):
    if store_id:
        if not identity.can_see_store(store_id):
            raise Forbidden("you may not see this store")
        return [str(store_id)]
    if identity.chain_wide:
        return None
    return list(identity.store_ids) or ["-"]


def _queries(stores, q):
    sold = (select(Sale.associate_id, Sale.associate_role, Sale.currency, func.count(),
                   func.sum(Sale.subtotal))
            .where(Sale.status == "completed")
            .group_by(Sale.associate_id, Sale.associate_role, Sale.currency))
    back = (select(Sale.associate_id, Sale.associate_role, Sale.currency, func.sum(SaleLine.amount))
            .join(SaleLine, SaleLine.sale_id == Sale.id).join(Return, Return.id == SaleLine.return_id)
            .where(Return.state == "completed")
            .group_by(Sale.associate_id, Sale.associate_role, Sale.currency))
    if stores is not None:
        sold = sold.where(Sale.store_id.in_(stores))
        back = back.where(Sale.store_id.in_(stores))
    if q.get("since"):
        sold = sold.where(Sale.completed_at >= q["since"])
        back = back.where(Return.completed_at >= q["since"])
    if q.get("until"):
        sold = sold.where(Sale.completed_at < q["until"])
        back = back.where(Return.completed_at < q["until"])
    return sold, back


def commissions(session, identity, q, rates):
    """Net sales before tax (less returned pieces) times the rate of the role."""
    if identity.role not in READERS:
        raise Forbidden("commissions are for managers, HQ and auditors")
    sold, back = _queries(_scope(identity, q.get("store_id")), q)
    rows = {}
    for associate, role, currency, count, subtotal in session.execute(sold).all():
        rows[(associate, role, currency)] = {"sales": count, "sold": int(subtotal), "returned": 0}
    for associate, role, currency, amount in session.execute(back).all():
        rows.setdefault((associate, role, currency), {"sales": 0, "sold": 0, "returned": 0})
        rows[(associate, role, currency)]["returned"] = int(amount)
    out = []
    for (associate, role, currency), r in sorted(rows.items(), key=lambda kv: str(kv[0])):
        rate = rates.get(role or "", 0)
        net = r["sold"] - r["returned"]
        out.append({"associate_id": associate, "role": role, "sales": r["sales"],
                    "net_sales": money(net, currency), "rate_bps": rate,
                    "commission": money(bps_of(net, rate), currency)})
    return {"rows": out}
