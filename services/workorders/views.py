"""A job as the API shows it (docs/API.md#work-orders): the summary a list
or the bench board holds, and the full view with tasks, intake photos, the
latest appraisal and the stages the job may move to next. Money is
``{"amount", "currency"}`` in minor units (docs/API.md#conventions)."""
from sqlalchemy import select

from chassis.clock import local_day, now
from contracts.money import maybe_money

from . import stages
from .jobs import balance_of, deposits_of, load, total_of
from .models import Appraisal, Client, Photo, Store, Task


def iso(value):
    return value.isoformat() if value is not None else None


def estimate_view(wo):
    if wo.estimate_amount is None:
        return None
    if wo.approved_at is not None:
        status = "approved"
    elif wo.stage == "cancelled":
        status = "declined"
    else:
        status = "awaiting_approval"
    return {"amount": maybe_money(wo.estimate_amount, wo.currency), "note": wo.estimate_note or "",
            "estimated_at": iso(wo.estimated_at), "estimated_by": wo.estimated_by, "status": status}


def is_overdue(wo, store, at):
    """Unfinished and past its promised day in the store's own time zone."""
    return stages.is_unfinished(wo.stage) and wo.promised_date < local_day(at, store.timezone)


def photo_view(photo):
    return {"id": photo.id, "content_type": photo.content_type, "size_bytes": photo.size_bytes,
            "caption": photo.caption, "purpose": photo.purpose, "created_at": iso(photo.created_at),
            "url": f"/work-orders/{photo.work_order_id}/photos/{photo.id}"}


def task_view(task, currency):
    return {"id": task.id, "code": task.code, "description": task.description,
            "quantity": task.quantity, "text": task.text,
            "unit_price": maybe_money(task.unit_amount, currency),
            "price": maybe_money(task.amount, currency)}


def store_facts(store):
    """The store part of a job; its ``country`` gives the locale documents print
    money in (``chassis.display.locale_for``; none: en_US)."""
    return {"id": store.id, "code": store.code, "name": store.name, "phone": store.phone,
            "address": store.address, "timezone": store.timezone, "country": store.country}


def client_facts(client):
    if client is None:
        return None
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "phone": client.phone}


def _money_view(wo, deposits, balance):
    c = wo.currency
    return {"tasks_total": maybe_money(wo.tasks_total, c), "total": maybe_money(total_of(wo), c),
            "deposits": maybe_money(deposits, c), "paid": maybe_money(wo.paid_amount, c),
            "balance_due": maybe_money(balance, c)}


def order_view(wo, store, client, deposits, at, *, tasks=None, photos=None, appraisal=None,
               appraisal_written=None):
    """One job; ``tasks``, ``photos`` and ``appraisal_written`` add the full view's parts."""
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
        **_money_view(wo, deposits, balance),
        "paid_sale_id": wo.paid_sale_id,
        "tracking_token": wo.tracking_token, "created_at": iso(wo.created_at),
        "created_by": wo.created_by, "updated_at": iso(wo.updated_at),
        "stage_changed_at": iso(wo.stage_changed_at), "ready_at": iso(wo.ready_at),
    }
    if tasks is not None:
        view["tasks"] = [task_view(t, wo.currency) for t in tasks]
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
