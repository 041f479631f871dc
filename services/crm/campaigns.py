"""Reaching out at the right moment: segments for campaigns, the daily
milestone notices and tier review, and recommendations from stock."""
from datetime import datetime, time, timedelta, timezone
from uuid import UUID

from sqlalchemy import Date, and_, case, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import insert

from chassis.errors import Forbidden, InvalidInput
from chassis.outbox import emit
from chassis.scope import one_or_own_stores

from . import loyalty, rules
from .clients import milestone_view, summary_view
from .common import acting_store, decode_cursor, page, require_full_view, resolve
from .models import Client, Milestone, MilestoneNotice, Purchase
from .scope import members_only


def next_occurrence_sql(today):
    """SQL twin of ``rules.next_occurrence`` (29 Feb -> 1 Mar in common years)."""
    def on(year):
        return type_coerce(func.make_date(year, Milestone.month, 1), Date) + (Milestone.day - 1)

    this_year = on(today.year)
    return case((this_year >= today, this_year), else_=on(today.year + 1))


# --- segments ------------------------------------------------------------------------

def segment(session, identity, f, today):
    """Clients for a campaign: tier, home store, a milestone within N days,
    last purchase before a date, consent to a channel."""
    require_full_view(identity)
    query = select(Client).where(Client.merged_into.is_(None))
    query = one_or_own_stores(query, Client.home_store_id, identity, f.get("store_id"),
                              "you may not run campaigns for this store")
    if f.get("tier"):
        query = query.where(Client.tier == f["tier"])
    if f.get("consent"):
        query = query.where(getattr(Client, f"{f['consent']}_consent").is_(True))
    if f.get("last_purchase_before"):
        before = datetime.combine(f["last_purchase_before"], time.min, tzinfo=timezone.utc)
        query = query.where(Client.last_purchase_at < before)
    if f.get("milestone_within_days") is not None:
        upcoming = next_occurrence_sql(today)
        condition = [Milestone.client_id == Client.id,
                     upcoming <= today + timedelta(days=f["milestone_within_days"])]
        if f.get("milestone_kind"):
            condition.append(Milestone.kind == f["milestone_kind"])
        query = query.where(exists(select(Milestone.id).where(*condition)))
    if f.get("cursor"):
        name, cid = decode_cursor(f["cursor"], types=(str, UUID))
        query = query.where(or_(Client.full_name > name,
                                and_(Client.full_name == name, Client.id > cid)))
    rows = session.scalars(query.order_by(Client.full_name, Client.id).limit(f["limit"] + 1)).all()
    milestones = {}
    for m in session.scalars(select(Milestone).where(
            Milestone.client_id.in_([c.id for c in rows[:f["limit"]]]))):
        milestones.setdefault(m.client_id, []).append(m)

    def view(client):
        coming = sorted(
            ({**milestone_view(m), "next_on": rules.next_occurrence(m.month, m.day, today).isoformat()}
             for m in milestones.get(client.id, [])), key=lambda m: m["next_on"])
        return {**summary_view(client), "language": client.language,
                "consent": {"sms": client.sms_consent, "email": client.email_consent},
                "upcoming_milestones": coming}

    return page(rows, f["limit"], lambda c: [c.full_name, c.id], view)


# --- the daily timer ---------------------------------------------------------------------

def announce_milestones(session, today, settings):
    """``milestone.upcoming`` for each milestone within the notice window:
    once per client, milestone and occurrence (a re-run sends nothing twice)."""
    horizon = today + timedelta(days=settings.milestone_notice_days)
    occurs_on = next_occurrence_sql(today)
    sent_before = exists(select(MilestoneNotice.id).where(
        MilestoneNotice.client_id == Milestone.client_id, MilestoneNotice.kind == Milestone.kind,
        MilestoneNotice.label_key == func.lower(func.coalesce(Milestone.label, "")),
        MilestoneNotice.occurs_on == occurs_on))
    rows = session.execute(
        select(Milestone, Client.home_store_id, Client.associate_id, occurs_on.label("occurs_on"))
        .join(Client, Client.id == Milestone.client_id)
        .where(Client.merged_into.is_(None), occurs_on <= horizon, ~sent_before)
        .order_by(Milestone.client_id, Milestone.id)
    ).all()
    sent = 0
    for milestone, store_id, associate_id, occurs_on in rows:
        claimed = session.execute(
            insert(MilestoneNotice).values(
                client_id=milestone.client_id, kind=milestone.kind,
                label_key=(milestone.label or "").lower(), occurs_on=occurs_on)
            .on_conflict_do_nothing().returning(MilestoneNotice.id)).first()
        if claimed is None:
            continue
        emit(session, "milestone.upcoming", {
            "client_id": milestone.client_id, "kind": milestone.kind, "label": milestone.label,
            "date": occurs_on.isoformat(), "days_until": (occurs_on - today).days,
            "years": (occurs_on.year - milestone.year) if milestone.year else None,
            "home_store_id": store_id, "associate_id": associate_id,
        }, store_id=store_id)
        sent += 1
    return sent


def review_tiers(session, identity, settings, at):
    """Spend leaves the rolling window: clients move down as well as up."""
    ids = session.scalars(select(Client.id).where(Client.merged_into.is_(None),
                                                  Client.tier != "new")).all()
    moved = 0
    for client_id in ids:
        client = resolve(session, client_id, lock=True)
        old = client.tier
        if loyalty.refresh_standing(session, identity, client, settings, at) != old:
            moved += 1
    return moved


# --- recommendations ---------------------------------------------------------------------

def recommendation_store(identity, client, requested):
    if requested:
        if not identity.can_see_store(requested):
            raise Forbidden("you may not see this store's stock")
        return str(requested)
    if client.home_store_id and identity.can_see_store(client.home_store_id):
        return client.home_store_id
    own = acting_store(identity)
    if own:
        return own
    if client.home_store_id:
        return client.home_store_id
    raise InvalidInput("which store's stock?", {"store_id": ["the client has no home store"]})


def recommendation_plan(session, identity, client_id, f):
    """What to ask inventory for: the client's taste and the queries. The
    taste (preferences, what they bought, their price range) is the full
    profile's: a store the client does not belong to gets 'no such client'
    (docs/ARCHITECTURE.md#rule-7)."""
    require_full_view(identity)
    client = members_only(session, identity, client_id)
    store_id = recommendation_store(identity, client, f.get("store_id"))
    lines = [line for lines in session.scalars(select(Purchase.lines).where(
        Purchase.client_id == client.id, Purchase.kind == "sale")) for line in lines or []]
    profile = rules.taste(client.preferences, lines)
    return {"client_id": client.id, "store_id": store_id, "profile": profile,
            "queries": rules.search_filters(profile, store_id, f["limit"])}


def recommendations(plan, found, limit):
    profile = plan["profile"]
    return {
        "client_id": plan["client_id"], "store_id": plan["store_id"],
        "based_on": {k: profile[k] for k in ("metals", "categories", "stones", "designers",
                                             "min_price", "max_price")},
        "items": rules.rank(found, profile, limit),
    }
