"""Overdue memos on HQ's screen: inventory says each day which memos are
past their due date (``memo.overdue``); a memo settled (``memo.closed``)
leaves the list. The two may arrive in either order: a settled memo is
kept as settled, so a late overdue notice never brings it back."""
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from .common import facts
from .models import HqOverdueMemo
from .pieces import memo_closed as pieces_back
from .stores import as_text


def memo_overdue(session, event):
    f, at = facts(event)
    row = {"memo_id": str(f["memo_id"]), "store_id": str(f["store_id"]),
           "direction": f["direction"], "counterparty": f["counterparty"],
           "due_date": date.fromisoformat(str(f["due_date"])), "pieces": len(f["item_ids"]),
           "noticed_at": at}
    statement = insert(HqOverdueMemo).values(row)
    session.execute(statement.on_conflict_do_update(
        index_elements=[HqOverdueMemo.memo_id],
        set_={k: statement.excluded[k] for k in ("counterparty", "due_date", "pieces", "noticed_at")},
        where=HqOverdueMemo.closed_at.is_(None)))


def memo_closed(session, event):
    """The pieces home or back to the vendor (``pieces``), and the memo off the overdue list."""
    pieces_back(session, event)
    f, at = facts(event)
    statement = insert(HqOverdueMemo).values(memo_id=str(f["memo_id"]), store_id=str(f["store_id"]),
                                            direction=f.get("direction"), pieces=0, closed_at=at)
    session.execute(statement.on_conflict_do_update(
        index_elements=[HqOverdueMemo.memo_id], set_={"closed_at": statement.excluded.closed_at},
        where=HqOverdueMemo.closed_at.is_(None)))


def overdue_by_store(run):
    """``(store_id, memos, pieces)`` of the memos overdue and not settled."""
    m = HqOverdueMemo
    return run(select(as_text(m.store_id), func.count(), func.coalesce(func.sum(m.pieces), 0))
               .where(m.closed_at.is_(None), m.noticed_at.is_not(None)).group_by(m.store_id))
