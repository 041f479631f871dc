"""Client profiles: create, read (audited, shaped by role), search, change,
consent, and the history of changes (docs/API.md#clients-crm). Who sees a
full profile: docs/ARCHITECTURE.md#rule-7. Duplicates and merging are in
``merging``."""
from uuid import UUID

from sqlalchemy import and_, or_, select

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.identity import HQ, SALES_ASSOCIATE, STORE_MANAGER, with_system
from chassis.outbox import emit

from . import loyalty, rules, wishes
from .common import (
    acting_store,
    decode_cursor,
    full_view_allowed,
    history,
    iso,
    known_store,
    page,
    phone_region,
    require_full_view,
    require_writer,
    resolve,
)
from .models import Client, History, Milestone, ProfileRead
from .scope import identifying_view, is_member, members_only, shaped

CHANNELS = ("sms", "email")
PROFILE_READ_AUDITORS = with_system(HQ)     # who sees who read profiles
OWN_CLIENT_ROLES = (SALES_ASSOCIATE, STORE_MANAGER)   # a new client is theirs by default
PLAIN_FIELDS = ("first_name", "last_name", "associate_id", "language", "ring_size", "notes")


# --- views -----------------------------------------------------------------------

def contact_view(client):
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "phone": client.phone}


def consent_details(client):
    return {channel: {"granted": getattr(client, f"{channel}_consent"),
                      "changed_at": iso(getattr(client, f"{channel}_consent_at")),
                      "source": getattr(client, f"{channel}_consent_source")}
            for channel in CHANNELS}


def date_text(d):
    """``{"year": 1960, "month": 12, "day": 9}`` -> ``"1960-12-09"``; no year: ``"--12-09"``."""
    return (f"{d['year']:04d}-{d['month']:02d}-{d['day']:02d}" if d.get("year")
            else f"--{d['month']:02d}-{d['day']:02d}")


def milestone_view(m):
    return {"id": m.id, "kind": m.kind, "label": m.label,
            "date": date_text({"year": m.year, "month": m.month, "day": m.day})}


def summary_view(client):
    """What search results show staff (not a full profile: not audited)."""
    return {**contact_view(client), "email": client.email, "home_store_id": client.home_store_id,
            "tier": client.tier, "last_purchase_at": iso(client.last_purchase_at),
            "associate_id": client.associate_id}


def full_view(session, client, settings):
    by_currency = loyalty.lifetime_values(session, client.id)
    milestones = session.scalars(select(Milestone).where(Milestone.client_id == client.id)
                                 .order_by(Milestone.month, Milestone.day, Milestone.id)).all()
    merged = session.scalars(select(Client.id).where(Client.merged_into == client.id)
                             .order_by(Client.id)).all()
    return {
        **contact_view(client),
        "email": client.email, "home_store_id": client.home_store_id,
        "associate_id": client.associate_id, "language": client.language,
        "consent": {c: getattr(client, f"{c}_consent") for c in CHANNELS},
        "consent_details": consent_details(client),
        "ring_size": client.ring_size,
        "preferences": {k: list((client.preferences or {}).get(k) or [])
                        for k in ("metals", "stones", "designers")},
        "milestones": [milestone_view(m) for m in milestones],
        "notes": client.notes or "", "tags": list(client.tags or []),
        "wishlist": [wishes.view(w) for w in wishes.open_wishes(session, client.id)],
        "lifetime_value": loyalty.lifetime_value(session, client, by_currency, settings),
        "lifetime_value_by_currency": by_currency,
        "tier": client.tier,
        "loyalty_points": loyalty.balance(session, client.id),
        "last_purchase_at": iso(client.last_purchase_at),
        "merged_ids": list(merged),
        "created_at": iso(client.created_at), "updated_at": iso(client.updated_at),
    }


def facts(client):
    """The contact facts other services keep (``client.created/updated``)."""
    return {
        "client_id": client.id, "first_name": client.first_name, "last_name": client.last_name,
        "phone": client.phone, "email": client.email, "home_store_id": client.home_store_id,
        "consent": {c: getattr(client, f"{c}_consent") for c in CHANNELS},
        "language": client.language, "associate_id": client.associate_id,
    }


# --- create ----------------------------------------------------------------------

def _contact_errors(session, identity, data, settings, current=None):
    """Normalize phone/e-mail and check the home store; collect every error."""
    errors, clean = {}, {}
    store_id = data.get("home_store_id", current.home_store_id if current else None)
    if "home_store_id" in data and data["home_store_id"] is not None:
        try:
            known_store(session, data["home_store_id"], "home_store_id")
        except InvalidInput as exc:
            errors.update(exc.errors)
            store_id = None
        clean["home_store_id"] = str(data["home_store_id"])
    elif "home_store_id" in data:
        clean["home_store_id"] = None
    if data.get("phone"):
        region = phone_region(session, identity, settings, store_id)
        try:
            clean["phone"] = rules.normalize_phone(data["phone"], region)
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    elif "phone" in data:
        clean["phone"] = None
    if "email" in data:
        clean["email"] = rules.normalize_email(data["email"])
    return errors, clean


def _milestone_rows(client_id, milestones):
    return [Milestone(client_id=client_id, kind=m["kind"], label=m.get("label"),
                      year=m["date"]["year"], month=m["date"]["month"], day=m["date"]["day"])
            for m in milestones]


def set_consent(client, channel, granted, source, at):
    setattr(client, f"{channel}_consent", bool(granted))
    setattr(client, f"{channel}_consent_at", at)
    setattr(client, f"{channel}_consent_source", source)


def _own_store(identity):
    """A client a store adds without a home store is that store's (else no
    store could see what it just added, docs/ARCHITECTURE.md#rule-7)."""
    return None if identity.chain_wide else acting_store(identity)


def create_client(session, identity, data, settings):
    require_writer(identity)
    errors, clean = _contact_errors(session, identity, data, settings)
    if errors:
        raise InvalidInput("the request has invalid fields", errors)
    at = now()
    client = Client(
        first_name=data["first_name"].strip(), last_name=data["last_name"].strip(),
        phone=clean.get("phone"), email=clean.get("email"),
        home_store_id=clean.get("home_store_id") or _own_store(identity),
        associate_id=data.get("associate_id") or (
            identity.user_id if identity.role in OWN_CLIENT_ROLES else None),
        language=data.get("language"), ring_size=data.get("ring_size"),
        preferences=dict(data.get("preferences") or {}), notes=data.get("notes") or "",
        tags=sorted(set(data.get("tags") or [])), tier="new", created_by=identity.user_id,
        sms_consent=False, email_consent=False,
    )
    consent = data.get("consent") or {}
    for channel in CHANNELS:
        if channel in consent:
            set_consent(client, channel, consent[channel], consent.get("source") or "counter", at)
    session.add(client)
    session.flush()
    session.add_all(_milestone_rows(client.id, data.get("milestones") or []))
    history(session, identity, "client", client.id, "created", client.id,
            consent={c: consent.get(c) for c in CHANNELS if c in consent},
            source=consent.get("source"))
    emit(session, "client.created", facts(client), store_id=client.home_store_id)
    session.flush()
    session.refresh(client)
    return full_view(session, client, settings)


# --- read --------------------------------------------------------------------------

def get_client(session, identity, client_id, settings):
    """The profile shaped by the caller's role and stores; every read is
    recorded. A client of other stores only: what identifies them."""
    client = resolve(session, client_id)
    member = is_member(session, identity, client)
    full = member and full_view_allowed(identity)
    session.add(ProfileRead(client_id=client.id, reader_id=identity.user_id,
                            reader_role=identity.role, store_id=acting_store(identity),
                            view="full" if full else "contact" if member else "identity"))
    if not member:
        return identifying_view(client)
    if not full:
        return contact_view(client)
    view = full_view(session, client, settings)
    if str(client_id) != client.id:
        view["requested_id"] = str(client_id)
    return view


def list_profile_reads(session, identity, f):
    if identity.role not in PROFILE_READ_AUDITORS:
        raise Forbidden("only HQ and auditors see who read profiles")
    query = select(ProfileRead)
    if f.get("client_id"):
        query = query.where(ProfileRead.client_id == resolve(session, f["client_id"]).id)
    if f.get("reader_id"):
        query = query.where(ProfileRead.reader_id == f["reader_id"])
    if f.get("cursor"):
        (last_id,) = decode_cursor(f["cursor"], types=(int,))
        query = query.where(ProfileRead.id < int(last_id))
    rows = session.scalars(query.order_by(ProfileRead.id.desc()).limit(f["limit"] + 1)).all()
    return page(rows, f["limit"], lambda r: [r.id], lambda r: {
        "client_id": r.client_id, "reader_id": r.reader_id, "reader_role": r.reader_role,
        "store_id": r.store_id, "view": r.view, "at": iso(r.at)})


def search_clients(session, identity, f, settings):
    """By name (trigram: typos forgiven), phone or e-mail; the chain's book."""
    query = select(Client).where(Client.merged_into.is_(None))
    q = (f.get("q") or "").strip()
    if q:
        if "@" in q:
            query = query.where(Client.email == rules.normalize_email(q))
        else:
            phone = None
            if rules.looks_like_phone(q):
                try:
                    phone = rules.normalize_phone(q, phone_region(session, identity, settings))
                except ValueError:
                    phone = None
            if phone:
                query = query.where(Client.phone == phone)
            else:
                needle = " ".join(q.lower().split())
                pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                query = query.where(or_(Client.full_name.like(pattern),
                                        Client.full_name.op("%")(needle)))
    if f.get("tier"):
        query = query.where(Client.tier == f["tier"])
    if f.get("store_id"):
        query = query.where(Client.home_store_id == str(f["store_id"]))
    if f.get("cursor"):
        name, cid = decode_cursor(f["cursor"], types=(str, UUID))
        query = query.where(or_(Client.full_name > name,
                                and_(Client.full_name == name, Client.id > cid)))
    rows = session.scalars(query.order_by(Client.full_name, Client.id).limit(f["limit"] + 1)).all()
    view = shaped(session, identity, rows[:f["limit"]],
                  summary_view if full_view_allowed(identity) else contact_view)
    return page(rows, f["limit"], lambda c: [c.full_name, c.id], view)


# --- change ------------------------------------------------------------------------

def _replace_milestones(session, client, milestones):
    """Keep rows that stay (same kind, label and date), drop and add the rest."""
    wanted = {(m["kind"], m.get("label"), m["date"]["year"], m["date"]["month"], m["date"]["day"])
              for m in milestones}
    existing = session.scalars(select(Milestone).where(Milestone.client_id == client.id)).all()
    have = set()
    for row in existing:
        key = (row.kind, row.label, row.year, row.month, row.day)
        if key in wanted and key not in have:
            have.add(key)
        else:
            session.delete(row)
    session.add_all(_milestone_rows(client.id, [
        m for m in milestones
        if (m["kind"], m.get("label"), m["date"]["year"], m["date"]["month"], m["date"]["day"])
        not in have]))


def update_client(session, identity, client_id, data, settings):
    require_writer(identity)
    client = members_only(session, identity, client_id, lock=True)
    errors, clean = _contact_errors(session, identity, data, settings, current=client)
    if errors:
        raise InvalidInput("the request has invalid fields", errors)
    changes = {}

    def change(field, value):
        old = getattr(client, field)
        if old != value:
            changes[field] = {"old": old, "new": value} if field != "notes" else {"changed": True}
            setattr(client, field, value)

    for field in PLAIN_FIELDS:
        if field in data:
            value = data[field].strip() if field in ("first_name", "last_name") else data[field]
            change(field, value if field != "notes" else (value or ""))
    for field, value in clean.items():
        change(field, value)
    if "tags" in data:
        change("tags", sorted(set(data["tags"] or [])))
    if "preferences" in data:
        change("preferences", dict(data["preferences"] or {}))
    if "milestones" in data:
        before = sorted(str(milestone_view(m)["date"]) + m.kind + (m.label or "") for m in
                        session.scalars(select(Milestone).where(Milestone.client_id == client.id)))
        _replace_milestones(session, client, data["milestones"])
        after = sorted(date_text(m["date"]) + m["kind"] + (m.get("label") or "")
                       for m in data["milestones"])
        if before != after:
            changes["milestones"] = {"old": before, "new": after}
    consent_events = []
    consent = data.get("consent") or {}
    at = now()
    for channel in CHANNELS:
        if channel in consent and bool(consent[channel]) != getattr(client, f"{channel}_consent"):
            source = consent.get("source") or "counter"
            set_consent(client, channel, consent[channel], source, at)
            changes[f"{channel}_consent"] = {"new": bool(consent[channel]), "source": source}
            consent_events.append({"client_id": client.id, "phone": client.phone,
                                   "channel": channel, "granted": bool(consent[channel]),
                                   "source": source, "changed_at": at.isoformat()})
    if not changes:
        return full_view(session, client, settings)
    client.updated_at = at
    history(session, identity, "client", client.id, "updated", client.id, changes=changes)
    for payload in consent_events:
        emit(session, "client.consent_changed", payload, store_id=client.home_store_id)
    emit(session, "client.updated", facts(client), store_id=client.home_store_id)
    session.flush()
    return full_view(session, client, settings)


def apply_reported_consent(session, identity, payload, at):
    """``client.consent_changed`` from notifications (a STOP/START reply),
    matched by client id or phone; an older report never overrides a newer one."""
    if payload.get("client_id"):
        try:
            clients = [resolve(session, payload["client_id"], lock=True)]
        except NotFound:   # not a client of ours: nothing to change
            clients = []
    elif payload.get("phone"):
        phone = payload["phone"]
        try:
            phone = rules.normalize_phone(phone, None if phone.startswith("+") else "US")
        except ValueError:
            pass
        clients = session.scalars(select(Client).where(
            Client.phone == phone, Client.merged_into.is_(None)).with_for_update()).all()
    else:
        clients = []
    channel, granted = payload["channel"], bool(payload["granted"])
    changed = []
    for client in clients:
        last = getattr(client, f"{channel}_consent_at")
        if last is not None and last > at:
            continue
        if getattr(client, f"{channel}_consent") == granted and last is not None:
            continue
        set_consent(client, channel, granted, payload["source"], at)
        history(session, identity, "client", client.id, "consent_changed", client.id,
                channel=channel, granted=granted, source=payload["source"],
                changed_at=at.isoformat(), reported_by="notifications")
        changed.append(client.id)
    return changed


# --- the history of changes ----------------------------------------------------------

def require_history_reader(identity):
    """Managers, HQ and auditors read a client's change history."""
    require_full_view(identity)
    if identity.role == SALES_ASSOCIATE:
        raise Forbidden("managers, HQ and auditors see a client's change history")


def history_view(entry):
    return {"id": entry.id, "client_id": entry.client_id, "entity": entry.entity,
            "entity_id": entry.entity_id, "change": entry.change, "details": entry.details,
            "actor_id": entry.actor_id, "actor_role": entry.actor_role,
            "store_id": entry.store_id, "at": entry.at.isoformat()}


def client_history(session, identity, client_id, query):
    """Every change of the client and of those merged into it, newest first."""
    client = members_only(session, identity, client_id)
    ids = [client.id] + list(session.scalars(
        select(Client.id).where(Client.merged_into == client.id)))
    q = select(History).where(History.client_id.in_(ids))
    if query.get("cursor"):
        (last,) = decode_cursor(query["cursor"], types=(int,))
        q = q.where(History.id < int(last))
    rows = session.scalars(q.order_by(History.id.desc()).limit(query["limit"] + 1)).all()
    return page(rows, query["limit"], lambda h: [h.id], history_view)
