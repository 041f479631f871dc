"""Clients from crm's events: each client's home store and tier, and the
clients per home store and tier, moved by the difference of a client's
stake before and after each event. A merged client no longer counts."""
from collections import defaultdict
from contextlib import contextmanager

from sqlalchemy import case, delete, func, literal_column, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from .common import add_to_totals, facts, insert_new
from .models import NO_STORE, HqClient, HqClientTier

_NEW_CLIENT = insert_new(HqClient)


def client_stake(c):
    if not c.known or c.merged or not c.tier:
        return None
    return (c.home_store_id or NO_STORE, c.tier)


@contextmanager
def changing_client(session, client_id):
    _NEW_CLIENT.execute(session, {"client_id": str(client_id)})
    c = session.scalars(select(HqClient).where(HqClient.client_id == str(client_id))
                        .with_for_update()).one()
    before = client_stake(c)
    yield c
    after = client_stake(c)
    if before != after:
        deltas = defaultdict(lambda: [0])
        if before:
            deltas[before][0] -= 1
        if after:
            deltas[after][0] += 1
        session.flush()
        add_to_totals(session, HqClientTier, ("store_id", "tier"), ("clients",), deltas)


def _client_facts(session, event):
    f, at = facts(event)
    with changing_client(session, f["client_id"]) as c:
        c.known = True
        if c.facts_at is None or at > c.facts_at:
            c.home_store_id = str(f["home_store_id"]) if f.get("home_store_id") else None
            c.facts_at = at
        if c.tier_at is None:
            c.tier, c.tier_at = c.tier or "new", at


client_created = _client_facts
client_updated = _client_facts


def client_tier_changed(session, event):
    f, at = facts(event)
    with changing_client(session, f["client_id"]) as c:
        if c.tier_at is None or at > c.tier_at:
            c.tier, c.tier_at = f["new_tier"], at


def client_merged(session, event):
    f, _ = facts(event)
    with changing_client(session, f["merged_id"]) as c:
        c.merged = True


# --- rebuild ----------------------------------------------------------------------------------

def load_clients(session, views, as_of):
    """Clients from crm's search (merged ones are not listed); ``as_of`` is
    when the snapshot began: events after it still win."""
    if not views:
        return
    rows = [{"client_id": v["id"], "known": True, "merged": False,
             "home_store_id": v.get("home_store_id"), "facts_at": as_of,
             "tier": v.get("tier") or "new", "tier_at": as_of} for v in views]
    stmt = insert(HqClient.__table__)
    x, t = stmt.excluded, HqClient.__table__.c
    session.connection().execute(stmt.on_conflict_do_update(index_elements=[t.client_id], set_={
        "known": True,
        "home_store_id": case((or_(t.facts_at.is_(None), x.facts_at >= t.facts_at), x.home_store_id),
                              else_=t.home_store_id),
        "facts_at": func.greatest(t.facts_at, x.facts_at),
        "tier": case((or_(t.tier_at.is_(None), x.tier_at >= t.tier_at), x.tier), else_=t.tier),
        "tier_at": func.greatest(t.tier_at, x.tier_at)}), rows)


def recount_clients(session):
    """``hq_client_tiers`` from ``hq_clients`` (the rebuild's last step)."""
    session.execute(text("LOCK TABLE hq_client_tiers IN EXCLUSIVE MODE"))
    session.execute(delete(HqClientTier))
    store = func.coalesce(HqClient.home_store_id, literal_column(f"'{NO_STORE}'::uuid"))
    session.execute(insert(HqClientTier).from_select(
        ["store_id", "tier", "clients"],
        select(store, HqClient.tier, func.count())
        .where(HqClient.known.is_(True), HqClient.merged.is_(False), HqClient.tier.is_not(None))
        .group_by(store, HqClient.tier)))
