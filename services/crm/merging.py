"""Likely duplicates (the same phone, the same e-mail, a similar name) and
merging them: nothing of either client is lost, the merged id resolves to the
survivor (docs/API.md#clients-crm)."""
from uuid import UUID

from sqlalchemy import select, text, update

from chassis.clock import now
from chassis.errors import Forbidden, InvalidInput, NotFound
from chassis.identity import HQ_ADMIN, SYSTEM
from chassis.outbox import emit

from . import loyalty
from .clients import CHANNELS, facts, full_view, set_consent, summary_view
from .common import MERGERS, decode_cursor, history, page, require_full_view, require_writer, resolve
from .models import Appointment, Client, LedgerEntry, Milestone, MilestoneNotice, Purchase, TimelineEntry, Wish
from .scope import is_member, members_only, shaped

_PAIRS = """
WITH pairs AS (
    SELECT a.id AS a_id, b.id AS b_id FROM clients a
      JOIN clients b ON b.phone = a.phone AND b.id <> a.id AND b.merged_into IS NULL
     WHERE a.merged_into IS NULL AND a.phone IS NOT NULL {a_filter}
    UNION
    SELECT a.id, b.id FROM clients a
      JOIN clients b ON b.email = a.email AND b.id <> a.id AND b.merged_into IS NULL
     WHERE a.merged_into IS NULL AND a.email IS NOT NULL {a_filter}
    UNION
    SELECT a.id, b.id FROM clients a
      JOIN clients b ON b.full_name % a.full_name AND b.id <> a.id AND b.merged_into IS NULL
     WHERE a.merged_into IS NULL {a_filter}
)
SELECT p.a_id::text AS a_id, p.b_id::text AS b_id,
       coalesce(a.phone = b.phone, false) AS same_phone,
       coalesce(a.email = b.email, false) AS same_email,
       similarity(a.full_name, b.full_name) AS name_similarity
  FROM pairs p JOIN clients a ON a.id = p.a_id JOIN clients b ON b.id = p.b_id
 WHERE {order_filter}
   AND (a.phone = b.phone OR a.email = b.email
        OR similarity(a.full_name, b.full_name) >= :threshold)
   AND (p.a_id::text, p.b_id::text) > (:after_a, :after_b)
 ORDER BY p.a_id::text, p.b_id::text
 LIMIT :n
"""


def find_duplicates(session, identity, f, settings):
    """Likely duplicates: the same phone, the same e-mail, or a similar name."""
    require_full_view(identity)
    params = {"threshold": settings.name_similarity, "n": f["limit"] + 1,
              "after_a": "", "after_b": ""}
    if f.get("client_id"):
        params["cid"] = members_only(session, identity, f["client_id"]).id
        sql = _PAIRS.format(a_filter="AND a.id = :cid", order_filter="true")
    else:
        sql = _PAIRS.format(a_filter="", order_filter="p.a_id < p.b_id")
    if f.get("cursor"):
        params["after_a"], params["after_b"] = decode_cursor(f["cursor"], types=(UUID, UUID))
    # the % operator (index-assisted) uses this threshold for the session
    session.execute(text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
                    {"t": str(settings.name_similarity)})
    rows = session.execute(text(sql), params).all()
    ids = {r.a_id for r in rows} | {r.b_id for r in rows}
    clients = {c.id: c for c in session.scalars(select(Client).where(Client.id.in_(ids)))}
    shown = shaped(session, identity, list(clients.values()), summary_view)

    def view(r):
        reasons = [name for name, hit in (("phone", r.same_phone), ("email", r.same_email),
                                          ("name", r.name_similarity >= settings.name_similarity))
                   if hit]
        return {"client": shown(clients[r.a_id]), "duplicate": shown(clients[r.b_id]),
                "reasons": reasons, "name_similarity": round(float(r.name_similarity), 3)}

    return page(rows, f["limit"], lambda r: [r.a_id, r.b_id], view)


def merge_clients(session, identity, survivor_id, duplicate_id, settings):
    """Fold ``duplicate_id`` into ``survivor_id``: every purchase, point,
    milestone, message, wish and appointment moves; the old id resolves to
    the survivor from now on."""
    require_writer(identity, MERGERS)
    if str(survivor_id) == str(duplicate_id):
        raise InvalidInput("a client cannot be merged into itself",
                           {"duplicate_id": ["is the same client"]})
    # lock both in id order (no deadlock with another merge of the same two)
    session.scalars(select(Client.id).where(Client.id.in_([str(survivor_id), str(duplicate_id)]))
                    .order_by(Client.id).with_for_update()).all()
    survivor = resolve(session, survivor_id, lock=True)
    duplicate = resolve(session, duplicate_id, lock=True)
    _may_merge(session, identity, survivor, duplicate)
    if survivor.id == duplicate.id:   # merged before: the same answer again
        return full_view(session, survivor, settings)
    before = full_view(session, duplicate, settings)
    moved = {}
    for model in (Purchase, LedgerEntry, TimelineEntry, Wish, Appointment, Milestone):
        moved[model.__tablename__] = session.execute(
            update(model).where(model.client_id == duplicate.id)
            .values(client_id=survivor.id)).rowcount
    _move_notices(session, duplicate.id, survivor.id)
    session.execute(update(Client).where(Client.merged_into == duplicate.id)
                    .values(merged_into=survivor.id))
    _fold_profile(survivor, duplicate)
    duplicate.merged_into = survivor.id
    duplicate.updated_at = survivor.updated_at = now()
    session.flush()
    history(session, identity, "client", survivor.id, "merged", survivor.id,
            merged_id=duplicate.id, moved=moved, merged_profile=before)
    history(session, identity, "client", duplicate.id, "merged_into", duplicate.id,
            survivor_id=survivor.id)
    loyalty.refresh_standing(session, identity, survivor, settings)
    emit(session, "client.merged", {"survivor_id": survivor.id, "merged_id": duplicate.id},
         store_id=survivor.home_store_id)
    emit(session, "client.updated", facts(survivor), store_id=survivor.home_store_id)
    session.flush()
    return full_view(session, survivor, settings)


def _may_merge(session, identity, survivor, duplicate):
    """Clients of different home stores are merged by HQ (403 for anyone
    else: a merge moves purchases, points and lifetime value between
    stores); a store merges only clients that belong to it (404 otherwise,
    docs/ARCHITECTURE.md#rule-7)."""
    if survivor.home_store_id != duplicate.home_store_id \
            and identity.role not in (HQ_ADMIN, SYSTEM):
        raise Forbidden("merging clients of different home stores is for HQ")
    for client in (survivor, duplicate):
        if not is_member(session, identity, client):
            raise NotFound("no such client")


def _move_notices(session, old, new):
    taken = select(MilestoneNotice.id).where(
        MilestoneNotice.client_id == new)
    clash = session.scalars(
        select(MilestoneNotice).where(MilestoneNotice.client_id == old)).all()
    for notice in clash:
        exists = session.scalars(taken.where(MilestoneNotice.kind == notice.kind,
                                             MilestoneNotice.label_key == notice.label_key,
                                             MilestoneNotice.occurs_on == notice.occurs_on)).first()
        if exists:
            session.delete(notice)
        else:
            notice.client_id = new


def _fold_profile(survivor, duplicate):
    """The survivor keeps its own facts and gains what only the duplicate had."""
    for field in ("phone", "email", "home_store_id", "associate_id", "language", "ring_size"):
        if getattr(survivor, field) in (None, "") and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    prefs = dict(survivor.preferences or {})
    for key, values in (duplicate.preferences or {}).items():
        prefs[key] = list(dict.fromkeys(list(prefs.get(key) or []) + list(values or [])))
    survivor.preferences = prefs
    survivor.tags = sorted(set(survivor.tags or []) | set(duplicate.tags or []))
    extra = []
    if duplicate.phone and duplicate.phone != survivor.phone:
        extra.append(f"phone {duplicate.phone}")
    if duplicate.email and duplicate.email != survivor.email:
        extra.append(f"e-mail {duplicate.email}")
    if duplicate.notes or extra:
        header = f"[merged from {duplicate.first_name} {duplicate.last_name}"
        header += (": " + ", ".join(extra) + "]") if extra else "]"
        survivor.notes = "\n\n".join(p for p in (survivor.notes, header, duplicate.notes) if p)
    for channel in CHANNELS:
        theirs = getattr(duplicate, f"{channel}_consent_at")
        ours = getattr(survivor, f"{channel}_consent_at")
        if theirs is not None and (ours is None or theirs > ours):
            set_consent(survivor, channel, getattr(duplicate, f"{channel}_consent"),
                         getattr(duplicate, f"{channel}_consent_source"), theirs)
