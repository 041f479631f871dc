"""Sales figures by day (in each store's time zone), store or associate, and
commissions per associate (a rate by role, config ``COMMISSION_RATES_BPS``).
Returns are counted in the period they happen, against the same key."""
from sqlalchemy import Date, cast, func, select

from chassis.errors import Forbidden

from .models import Return, Sale, SaleLine, Store
from .money import bps_of, money


def _scope(identity, store_id):
    if store_id:
        if not identity.can_see_store(store_id):
            raise Forbidden("you may not see this store")
        return [str(store_id)]
    if identity.chain_wide:
        return None
    return list(identity.store_ids) or ["-"]


def _key(group_by, at_column, entity):
    if group_by == "day":
        return cast(func.timezone(Store.timezone, at_column), Date)
    if group_by == "store":
        return entity.store_id
    return Sale.associate_id


def sales_report(session, identity, q):
    group_by = q.get("group_by") or "day"
    stores = _scope(identity, q.get("store_id"))
    key = _key(group_by, Sale.completed_at, Sale).label("key")
    query = (select(key, Sale.currency, func.count(), func.sum(Sale.gross),
                    func.sum(Sale.discount_total), func.sum(Sale.subtotal), func.sum(Sale.tax),
                    func.sum(Sale.total))
             .join(Store, Store.id == Sale.store_id)
             .where(Sale.status == "completed").group_by(key, Sale.currency))
    rkey = _key(group_by, Return.completed_at, Return).label("key")
    returns = (select(rkey, Return.currency, func.count(), func.sum(Return.amount))
               .join(Store, Store.id == Return.store_id).join(Sale, Sale.id == Return.sale_id)
               .where(Return.state == "completed").group_by(rkey, Return.currency))
    if stores is not None:
        query = query.where(Sale.store_id.in_(stores))
        returns = returns.where(Return.store_id.in_(stores))
    if q.get("since"):
        query = query.where(Sale.completed_at >= q["since"])
        returns = returns.where(Return.completed_at >= q["since"])
    if q.get("until"):
        query = query.where(Sale.completed_at < q["until"])
        returns = returns.where(Return.completed_at < q["until"])
    rows = {}

    def row(k, currency):
        k = k.isoformat() if hasattr(k, "isoformat") else k
        return rows.setdefault((k, currency), {
            group_by: k, "currency": currency, "sales": 0, "gross": 0, "discounts": 0,
            "net_sales": 0, "tax": 0, "total": 0, "returns": 0, "returned": 0})

    for k, currency, count, gross, disc, sub, tax, total in session.execute(query).all():
        r = row(k, currency)
        r.update(sales=count, gross=int(gross), discounts=int(disc), net_sales=int(sub),
                 tax=int(tax), total=int(total))
    for k, currency, count, amount in session.execute(returns).all():
        r = row(k, currency)
        r.update(returns=count, returned=int(amount))
    out = []
    for r in sorted(rows.values(), key=lambda r: (str(r[group_by]), r["currency"])):
        c = r["currency"]
        out.append({group_by: r[group_by], "sales": r["sales"], "returns": r["returns"],
                    **{k: money(r[k], c) for k in ("gross", "discounts", "net_sales", "tax",
                                                   "total", "returned")},
                    "net": money(r["total"] - r["returned"], c)})
    return {"group_by": group_by, "since": q["since"].isoformat() if q.get("since") else None,
            "until": q["until"].isoformat() if q.get("until") else None, "rows": out}


def commissions(session, identity, q, rates):
    """Net sales before tax (less returned pieces) times the rate of the role."""
    if identity.role not in ("hq_admin", "store_manager", "auditor", "system"):
        raise Forbidden("commissions are for managers, HQ and auditors")
    stores = _scope(identity, q.get("store_id"))
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
