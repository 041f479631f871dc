"""What every report shares: whose stores it covers, its period, one
snapshot of the read model, and the join of returned pieces to their sale
lines."""
from datetime import timedelta

from sqlalchemy import text

from chassis.errors import Forbidden, InvalidInput

from .models import HqReturn, HqReturnedItem, HqSaleLine


def report_scope(identity, store_id):
    """The stores a report covers (None: the whole chain); another store's
    report is refused with a clear 403."""
    if store_id:
        if not identity.can_see_store(store_id):
            raise Forbidden("you may see only your own store's figures; this store is not yours")
        return [str(store_id)]
    if identity.chain_wide:
        return None
    if not identity.store_ids:
        raise Forbidden("you have no store to report on")
    return list(identity.store_ids)


def period(q, at, default_days=None):
    since, until = q.get("since"), q.get("until")
    if since and until and until <= since:
        raise InvalidInput("the period ends before it starts",
                           {"until": ["must be after since"]})
    if default_days is not None:
        until = until or at
        since = since or until - timedelta(days=default_days)
        if until <= since:
            raise InvalidInput("the period ends before it starts",
                               {"since": ["must be before until"]})
    return since, until


def consistent(session):
    """Read every figure of one answer from one snapshot of the read model
    (the first statement of the transaction)."""
    session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def returned(stmt):
    """``stmt`` over the returned pieces, each joined to its sale line."""
    return (stmt.select_from(HqReturn)
            .join(HqReturnedItem, HqReturnedItem.return_id == HqReturn.return_id)
            .join(HqSaleLine, (HqSaleLine.sale_id == HqReturnedItem.sale_id)
                  & (HqSaleLine.item_id == HqReturnedItem.item_id)))


def single_currency(scope, stores):
    """The one store's currency when a report covers exactly one store."""
    if scope is None:
        return None
    currencies = {stores[s].currency for s in scope if s in stores}
    return currencies.pop() if len(currencies) == 1 and len(scope) == 1 else None
