"""Work order rules, free of nameko: each function takes a session and the
caller's identity, moves a job only by a conditional update (``UPDATE ...
WHERE stage = :from``), keeps the job's history and emits its events via the
outbox in the same transaction.

Scope: a user of one store never reads or changes another store's jobs
(NotFound). The auditor reads everything and changes nothing.
"""
import secrets
from datetime import datetime, timezone

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.identity import Identity
from chassis.outbox import emit

from . import pricing, stages
from .facts import local_today, occurred_at, price_list, resolve_client
from .models import (
    Appraisal, Client, History, Payment, Photo, Store, Task, WorkOrder,
)
from .photos import PhotoRejected

INTAKE = ("hq_admin", "store_manager", "sales_associate", "system")
COUNTER = INTAKE                                             # client approval at the counter
BENCH = ("hq_admin", "store_manager", "sales_associate", "bench_jeweler", "system")
ASSIGNERS = ("hq_admin", "store_manager", "system")          # and a jeweler for themselves
APPRAISERS = ("hq_admin", "store_manager", "bench_jeweler", "system")


def now():
    return datetime.now(timezone.utc)


def iso(value):
    return value.isoformat() if value is not None else None


def money(amount, currency):
    return None if amount is None else {"amount": int(amount), "currency": currency}


def require(identity, roles, what):
    if identity.read_only:
        raise Forbidden("the auditor role is read-only")
    if identity.role not in roles:
        raise Forbidden(f"{what} needs the role {' or '.join(r for r in roles if r != 'system')}")


def load(session, identity, wo_id, lock=False):
    """The job, if the caller may see it (NotFound otherwise)."""
    wo = session.get(WorkOrder, str(wo_id), with_for_update=lock or None, populate_existing=True)
    if wo is None or not identity.can_see_store(wo.store_id):
        raise NotFound("no such work order")
    return wo


def record(session, identity, wo, change, at, *, from_stage=None, to_stage=None, note=None,
           **details):
    """One row of the job's history: who, in which role, from which store, when."""
    role = "client" if identity.role == "anonymous" else identity.role
    store_id = identity.store_id or (None if identity.chain_wide else wo.store_id)
    session.add(History(
        work_order_id=wo.id, at=at, actor_id=identity.user_id, actor_role=role,
        actor_name=identity.username, store_id=store_id, change=change, from_stage=from_stage,
        to_stage=to_stage, note=note or None, details=details,
    ))


def facts(wo, **extra):
    """The payload every ``workorder.*`` event starts with."""
    return {
        "work_order_id": wo.id, "number": wo.number, "store_id": wo.store_id,
        "client_id": wo.client_id, "kind": wo.kind, "promised_date": wo.promised_date.isoformat(),
        "tracking_token": wo.tracking_token,
    } | extra


# --- money -----------------------------------------------------------------------------

def deposits_of(session, wo):
    return int(session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.work_order_id == wo.id, Payment.currency == wo.currency)) or 0)


def total_of(wo):
    """The estimate when there is one, else the priced tasks."""
    return wo.estimate_amount if wo.estimate_amount is not None else wo.tasks_total


def balance_of(wo, deposits):
    if wo.stage == "cancelled":
        return 0
    return pricing.balance(total_of(wo), deposits, wo.paid_amount)


def has_appraisal(session, wo):
    return session.scalar(select(func.count()).select_from(Appraisal)
                          .where(Appraisal.work_order_id == wo.id)) > 0


# --- views -------------------------------------------------------------------------------

def estimate_view(wo):
    if wo.estimate_amount is None:
        return None
    if wo.approved_at is not None:
        status = "approved"
    elif wo.stage == "cancelled":
        status = "declined"
    else:
        status = "awaiting_approval"
    return {"amount": money(wo.estimate_amount, wo.currency), "note": wo.estimate_note or "",
            "estimated_at": iso(wo.estimated_at), "estimated_by": wo.estimated_by, "status": status}


def is_overdue(wo, store, at):
    return stages.is_unfinished(wo.stage) and wo.promised_date < local_today(store, at)


def photo_view(photo):
    return {"id": photo.id, "content_type": photo.content_type, "size_bytes": photo.size_bytes,
            "caption": photo.caption, "purpose": photo.purpose, "created_at": iso(photo.created_at),
            "url": f"/work-orders/{photo.work_order_id}/photos/{photo.id}"}


def task_view(task, currency):
    return {"id": task.id, "code": task.code, "description": task.description,
            "quantity": task.quantity, "text": task.text,
            "unit_price": money(task.unit_amount, currency),
            "price": money(task.amount, currency)}


def store_facts(store):
    return {"id": store.id, "code": store.code, "name": store.name, "phone": store.phone,
            "address": store.address, "timezone": store.timezone}


def client_facts(client):
    if client is None:
        return None
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "phone": client.phone}


def order_view(wo, store, client, deposits, at, *, tasks=None, photos=None, appraisal=None,
               appraisal_written=None):
    c = wo.currency
    balance = balance_of(wo, deposits)
    view = {
        "id": wo.id, "number": wo.number, "store_id": wo.store_id, "store": store_facts(store),
        "client_id": wo.client_id, "client": client_facts(client), "kind": wo.kind,
        "item_description": wo.item_description, "stage": wo.stage,
        "stage_label": stages.LABELS[wo.stage],
        "assignee_id": wo.assignee_id, "assignee_name": wo.assignee_name,
        "promised_date": wo.promised_date.isoformat(), "rush": wo.rush,
        "overdue": is_overdue(wo, store, at), "estimate_required": wo.estimate_required,
        "estimate": estimate_view(wo), "approved_at": iso(wo.approved_at),
        "approved_via": wo.approved_via,
        "tasks_total": money(wo.tasks_total, c), "total": money(total_of(wo), c),
        "deposits": money(deposits, c), "paid": money(wo.paid_amount, c),
        "balance_due": money(balance, c), "paid_sale_id": wo.paid_sale_id,
        "tracking_token": wo.tracking_token, "created_at": iso(wo.created_at),
        "created_by": wo.created_by, "updated_at": iso(wo.updated_at),
        "stage_changed_at": iso(wo.stage_changed_at), "ready_at": iso(wo.ready_at),
    }
    if tasks is not None:
        view["tasks"] = [task_view(t, c) for t in tasks]
    if photos is not None:
        view["intake"] = {"condition_notes": wo.condition_notes,
                          "photos": [photo_view(p) for p in photos]}
    if appraisal_written is not None:
        view["appraisal"] = appraisal_summary(appraisal)
        view["allowed_stages"] = [
            s for s in stages.next_stages(wo.kind, wo.stage)
            if stages.guard(wo, s, balance_due=balance, has_appraisal=appraisal_written) is None]
    return view


def appraisal_summary(appraisal):
    if appraisal is None:
        return None
    doc = appraisal.document
    return {"version": appraisal.version, "appraised_on": appraisal.appraised_on.isoformat(),
            "appraiser": doc["appraiser"], "replacement_value": doc["replacement_value"],
            "created_at": iso(appraisal.created_at)}


def latest_appraisal(session, wo):
    return session.scalars(select(Appraisal).where(Appraisal.work_order_id == wo.id)
                           .order_by(Appraisal.version.desc()).limit(1)).first()


def full_view(session, wo, at=None):
    at = at or now()
    tasks = session.scalars(select(Task).where(Task.work_order_id == wo.id)
                            .order_by(Task.position)).all()
    photos = session.scalars(select(Photo).where(Photo.work_order_id == wo.id)
                             .order_by(Photo.position)).all()
    appraisal = latest_appraisal(session, wo)
    return order_view(wo, session.get(Store, wo.store_id), session.get(Client, wo.client_id),
                      deposits_of(session, wo), at, tasks=tasks, photos=photos,
                      appraisal=appraisal, appraisal_written=appraisal is not None)


def get_work_order(session, identity, wo_id):
    return full_view(session, load(session, identity, wo_id))


# --- intake ------------------------------------------------------------------------------

def next_number(session, store):
    """The store's next job number. The counter row stays locked until the
    transaction ends, so concurrent intakes queue and a rolled-back intake
    gives its number back: sequential without gaps."""
    n = session.execute(text(
        "INSERT INTO job_counters (store_id, last_number) VALUES (:s, 1) "
        "ON CONFLICT (store_id) DO UPDATE SET last_number = job_counters.last_number + 1 "
        "RETURNING last_number"), {"s": store.id}).scalar_one()
    return f"{store.code}-{n:06d}"


def new_tracking_token():
    return secrets.token_urlsafe(24)  # 192 random bits


def take_in(session, identity, data, staging, at=None):
    """A job taken in at the counter: ``received``, numbered, with a tracking token."""
    require(identity, INTAKE, "taking in a job")
    at = at or now()
    errors = {}
    store = session.get(Store, str(data["store_id"]))
    if store is None:
        errors["store_id"] = ["unknown store"]
    elif not identity.can_see_store(store.id):
        raise Forbidden("you may not take in jobs for this store")
    client = resolve_client(session, data["client_id"])
    if client is None:
        errors["client_id"] = ["unknown client"]
    priced, required = [], True
    if store is not None:
        today = local_today(store, at)
        if data["promised_date"] < today:
            errors["promised_date"] = [f"in the past (today is {today.isoformat()} at the store)"]
        priced, task_errors = pricing.price_tasks(data["tasks"], price_list(session, store.currency),
                                                  store.currency)
        errors.update(task_errors)
        required, problem = pricing.needs_estimate(data["kind"], priced, data.get("estimate_required"))
        if problem:
            errors["estimate_required"] = [problem]
    checked = []
    for n, photo in enumerate(data["intake"]["photos"]):
        try:
            checked.append((staging.check(photo["content_base64"]), photo.get("caption") or ""))
        except PhotoRejected as exc:
            errors[f"intake.photos.{n}"] = [str(exc)]
    if errors:
        raise InvalidInput("the job cannot be taken in as given", errors)

    stored = [(staging.put(content, content_type), caption)
              for (content, content_type), caption in checked]
    wo = WorkOrder(
        number=next_number(session, store), store_id=store.id, client_id=client.id,
        kind=data["kind"], item_description=data["item_description"],
        condition_notes=data["intake"]["condition_notes"], stage="received",
        promised_date=data["promised_date"], rush=data["rush"], estimate_required=required,
        currency=store.currency, tasks_total=pricing.tasks_total(priced), paid_amount=0,
        tracking_token=new_tracking_token(), created_at=at, created_by=identity.user_id,
        updated_at=at, stage_changed_at=at,
    )
    session.add(wo)
    session.flush()
    session.add_all([Task(work_order_id=wo.id, position=n, **task) for n, task in enumerate(priced)])
    session.add_all([_photo_row(wo, n, s, caption, "intake", identity, at)
                     for n, (s, caption) in enumerate(stored)])
    record(session, identity, wo, "created", at, to_stage="received",
           number=wo.number, tasks=len(priced), photos=len(stored))
    emit(session, "workorder.created", facts(wo), store_id=wo.store_id)
    session.flush()
    return full_view(session, wo, at)


def _photo_row(wo, position, stored, caption, purpose, identity, at):
    return Photo(work_order_id=wo.id, position=position, storage_key=stored.key,
                 content_type=stored.content_type,
                 size_bytes=stored.size_bytes, sha256=stored.sha256, caption=caption,
                 purpose=purpose, created_at=at, created_by=identity.user_id)


def add_photo(session, identity, wo_id, data, staging, at=None):
    require(identity, BENCH, "adding a photo")
    at = at or now()
    wo = load(session, identity, wo_id, lock=True)   # photos are numbered one at a time
    count = session.scalar(select(func.count()).select_from(Photo).where(Photo.work_order_id == wo.id))
    if count >= 40:
        raise Conflict("this job already has 40 photos")
    try:
        content, content_type = staging.check(data["content_base64"])
    except PhotoRejected as exc:
        raise InvalidInput(f"the photo was refused: {exc}", {"content_base64": [str(exc)]}) from None
    stored = staging.put(content, content_type)
    photo = _photo_row(wo, count, stored, data.get("caption") or "", data.get("purpose") or "intake",
                       identity, at)
    session.add(photo)
    session.flush()
    record(session, identity, wo, "photo_added", at, photo_id=photo.id,
           content_type=content_type, size_bytes=stored.size_bytes)
    return photo_view(photo)


def photo_content(session, identity, wo_id, photo_id, staging):
    wo = load(session, identity, wo_id)
    photo = session.get(Photo, str(photo_id))
    if photo is None or photo.work_order_id != wo.id:
        raise NotFound("no such photo")
    try:
        return photo, staging.get(photo.storage_key)
    except OSError:
        raise NotFound("the photo's file is missing from the photo store") from None


# --- the workflow ----------------------------------------------------------------------

def move(session, identity, wo, to_stage, note, at, *, values=None, change="stage", **details):
    """Apply one move if the job is still where it was read; 409 otherwise."""
    frm = wo.stage
    values = dict(values or {})
    values.update(stage=to_stage, stage_changed_at=at, updated_at=at)
    if to_stage == "ready_for_pickup":
        values["ready_at"] = at
    moved = session.execute(
        update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == frm)
        .values(**values).returning(WorkOrder.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        current = session.scalar(select(WorkOrder.stage).where(WorkOrder.id == wo.id))
        raise Conflict(f"the job moved meanwhile: it is now {current}")
    session.refresh(wo)
    record(session, identity, wo, change, at, from_stage=frm, to_stage=to_stage, note=note,
           **details)
    emit(session, "workorder.stage_changed",
         facts(wo, from_stage=frm, to_stage=to_stage, note=note or None), store_id=wo.store_id)


def _refuse_move(session, wo, to_stage):
    reason = stages.refusal(wo.kind, wo.stage, to_stage)
    if reason is None:
        reason = stages.guard(wo, to_stage, balance_due=balance_of(wo, deposits_of(session, wo)),
                              has_appraisal=has_appraisal(session, wo))
    if reason is not None:
        raise Conflict(reason)


def transition(session, identity, wo_id, data, at=None):
    """Move a job along its workflow; a move the workflow does not allow is 409."""
    at = at or now()
    to_stage, note = data["stage"], (data.get("note") or "").strip()
    if to_stage == "approved":
        return approve(session, identity, wo_id, {"note": note}, at=at)
    require(identity, BENCH, "moving a job")
    wo = load(session, identity, wo_id)
    reason = stages.refusal(wo.kind, wo.stage, to_stage)
    if reason is None and to_stage in stages.BY_COMMAND:
        reason = f"{to_stage} is reached by {stages.BY_COMMAND[to_stage]}"
    if reason is not None:
        raise Conflict(reason)
    if to_stage == "cancelled" and not note:
        raise InvalidInput("say why the job is cancelled", {"note": ["a cancellation needs a reason"]})
    _refuse_move(session, wo, to_stage)
    move(session, identity, wo, to_stage, note, at)
    return full_view(session, wo, at)


def estimate(session, identity, wo_id, data, at=None):
    """Quote the job; it waits for the client's approval (``estimate_ready``)."""
    require(identity, BENCH, "giving an estimate")
    at = at or now()
    wo = load(session, identity, wo_id)
    amount = data["amount"]
    if wo.stage not in ("received", "awaiting_approval"):
        raise Conflict(f"the job is {wo.stage}: an estimate is given before approval")
    if amount["currency"] != wo.currency:
        raise InvalidInput("the estimate is in another currency",
                           {"amount.currency": [f"the store works in {wo.currency}"]})
    note = (data.get("note") or "").strip()
    values = {"estimate_amount": amount["amount"], "estimate_note": note, "estimated_at": at,
              "estimated_by": identity.user_id}
    previous = wo.estimate_amount
    if wo.stage == "received":
        move(session, identity, wo, "awaiting_approval", note, at, values=values, change="estimate",
             amount=amount["amount"], previous=previous)
    else:
        revised = session.execute(
            update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == "awaiting_approval")
            .values(updated_at=at, **values).returning(WorkOrder.id)
            .execution_options(synchronize_session=False)).first()
        if revised is None:
            raise Conflict("the job moved meanwhile")
        session.refresh(wo)
        record(session, identity, wo, "estimate_revised", at, note=note, amount=amount["amount"],
               previous=previous)
    emit(session, "workorder.estimate_ready", facts(wo, amount=money(wo.estimate_amount, wo.currency)),
         store_id=wo.store_id)
    return full_view(session, wo, at)


def approve(session, identity, wo_id, data, at=None, via="counter", wo=None):
    """The client approves the estimate (or, with no estimate needed, the
    listed prices): the job may go to the bench. Approving twice is 409."""
    at = at or now()
    if via == "counter":
        require(identity, COUNTER, "recording the client's approval")
    wo = wo or load(session, identity, wo_id)
    if wo.approved_at is not None:
        raise Conflict(f"the job was already approved ({wo.approved_at.date().isoformat()})")
    _refuse_move(session, wo, "approved")
    move(session, identity, wo, "approved", (data.get("note") or "").strip(), at,
         values={"approved_at": at, "approved_by": identity.user_id, "approved_via": via},
         change="approved", via=via,
         amount=total_of(wo))
    return full_view(session, wo, at)


def assign(session, identity, wo_id, data, at=None):
    """Give the job to a bench jeweler (``user_id`` null: take it back)."""
    at = at or now()
    user_id = data.get("user_id")
    if identity.role == "bench_jeweler" and not identity.read_only:
        if user_id != identity.user_id:
            raise Forbidden("a bench jeweler takes jobs for themselves only")
    else:
        require(identity, ASSIGNERS, "assigning a job")
    wo = load(session, identity, wo_id)
    if not stages.is_unfinished(wo.stage):
        raise Conflict(f"the job is {wo.stage}: nothing is left for the bench")
    name = data.get("name") or (identity.username if user_id == identity.user_id else None)
    before = wo.assignee_id
    done = session.execute(
        update(WorkOrder).where(WorkOrder.id == wo.id, WorkOrder.stage == wo.stage)
        .values(assignee_id=user_id, assignee_name=name if user_id else None, updated_at=at)
        .returning(WorkOrder.id).execution_options(synchronize_session=False)).first()
    if done is None:
        raise Conflict("the job moved meanwhile")
    session.refresh(wo)
    record(session, identity, wo, "assigned", at, assignee_id=user_id, assignee_name=name,
           previous_assignee_id=before)
    return full_view(session, wo, at)


# --- money from payments ---------------------------------------------------------------

def balance_due(session, identity, wo_id):
    wo = load(session, identity, wo_id)
    deposits, c = deposits_of(session, wo), wo.currency
    return {"work_order_id": wo.id, "number": wo.number, "store_id": wo.store_id,
            "client_id": wo.client_id, "stage": wo.stage, "total": money(total_of(wo), c),
            "deposits": money(deposits, c), "paid": money(wo.paid_amount, c),
            "balance": money(balance_of(wo, deposits), c)}


def mark_paid(session, identity, wo_id, sale_id, at=None):
    """A sale collected the balance (payments calls this after the sale
    completed; a repeat with the same sale changes nothing). At the counter
    that is the pickup: a job waiting at ``ready_for_pickup`` is picked up."""
    at = at or now()
    wo = load(session, identity, wo_id, lock=True)
    if wo.paid_sale_id == sale_id:
        return balance_due(session, identity, wo.id) | {"sale_id": sale_id, "repeated": True}
    if wo.paid_sale_id is not None:
        raise Conflict(f"the job was already paid by sale {wo.paid_sale_id}")
    if wo.stage == "cancelled":
        raise Conflict("the job is cancelled")
    due = balance_of(wo, deposits_of(session, wo))
    session.execute(update(WorkOrder).where(WorkOrder.id == wo.id).values(
        paid_amount=WorkOrder.paid_amount + due, paid_sale_id=sale_id, paid_at=at, updated_at=at
    ).execution_options(synchronize_session=False))
    session.refresh(wo)
    record(session, identity, wo, "paid", at, sale_id=sale_id, amount=due)
    if wo.stage == "ready_for_pickup":
        move(session, identity, wo, "picked_up", f"balance collected with sale {sale_id}", at,
             sale_id=sale_id)
    return balance_due(session, identity, wo.id) | {"sale_id": sale_id, "repeated": False}


def is_deposit_payment(event):
    p = event["payload"]
    return bool(p.get("work_order_id")) and not p.get("sale_id")


def record_payment(session, event):
    """A deposit captured or refunded by payments (``payment.captured`` /
    ``payment.refunded`` with ``work_order_id``); one row per payment or refund."""
    p = event["payload"]
    if not is_deposit_payment(event):
        return
    captured = event["event_type"] == "payment.captured"
    ref = (f"deposit:{p['payment_id']}" if captured
           else f"refund:{p.get('refund_id') or event['event_id']}")
    amount = p["amount"]["amount"] if captured else -p["amount"]["amount"]
    at = occurred_at(event)
    inserted = session.execute(insert(Payment).values(
        ref=ref, work_order_id=str(p["work_order_id"]), payment_id=str(p["payment_id"]),
        kind="deposit" if captured else "refund", method=p.get("method"), amount=amount,
        currency=p["amount"]["currency"], at=at,
    ).on_conflict_do_nothing().returning(Payment.ref)).first()
    wo = session.get(WorkOrder, str(p["work_order_id"]))
    if inserted is not None and wo is not None:
        actor = Identity(user_id=event.get("actor_id"), role="system", username="payments")
        record(session, actor, wo, "deposit" if captured else "deposit_refunded", at,
               payment_id=str(p["payment_id"]), amount=amount, currency=p["amount"]["currency"],
               method=p.get("method"))
