"""Taking a job in at the counter (docs/API.md#work-orders): the client's
piece, its condition and photos, the tasks priced from the chain's list; and
the photos added to a job later.

A job is taken in whole or not at all: every problem with the request is
answered at once (docs/ARCHITECTURE.md#rule-8) and no photo file outlives a
request that failed (``photos.Staging``). Photos are decoded and written to
storage before the database transaction opens (``prepare_intake``,
``prepare_photo``): no file I/O while a transaction holds its locks. A photo
the gateway stored itself (a multipart upload) arrives as its key
(``attach_photo``)."""
import secrets

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from chassis.clock import local_day, now
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.outbox import emit

from . import pricing
from .facts import price_list, resolve_client
from .jobs import BENCH, INTAKE, facts, load, record
from .models import JobCounter, Photo, Store, Task, WorkOrder
from .photos import PhotoRejected, StoredPhoto
from .views import full_view, photo_view

MAX_PHOTOS = 40


def next_number(session, store):
    """The store's next job number. The counter row stays locked until the
    transaction ends, so concurrent intakes queue and a rolled-back intake
    gives its number back: sequential without gaps."""
    stmt = insert(JobCounter).values(store_id=store.id, last_number=1)
    n = session.execute(stmt.on_conflict_do_update(
        index_elements=[JobCounter.store_id],
        set_={"last_number": JobCounter.last_number + 1},
    ).returning(JobCounter.last_number)).scalar_one()
    return f"{store.code}-{n:06d}"


def new_tracking_token():
    return secrets.token_urlsafe(24)  # 192 random bits


def _check_work(session, store, data, at, errors):
    """The tasks priced in the store's currency and whether an estimate is needed."""
    today = local_day(at, store.timezone)
    if data["promised_date"] < today:
        errors["promised_date"] = [f"in the past (today is {today.isoformat()} at the store)"]
    priced, task_errors = pricing.price_tasks(data["tasks"], price_list(session, store.currency),
                                              store.currency)
    errors.update(task_errors)
    required, problem = pricing.needs_estimate(data["kind"], priced, data.get("estimate_required"))
    if problem:
        errors["estimate_required"] = [problem]
    return priced, required


def _check_photos(photos, staging, errors):
    """Each intake photo as (content, content type) and its caption."""
    checked = []
    for n, photo in enumerate(photos):
        try:
            checked.append((staging.check(photo["content_base64"]), photo.get("caption") or ""))
        except PhotoRejected as exc:
            errors[f"intake.photos.{n}"] = [str(exc)]
    return checked


def prepare_intake(identity, data, staging):
    """Before the transaction: the intake photos checked and, all good,
    stored, as ([(StoredPhoto, caption)], errors by field)."""
    identity.require(INTAKE, "take in a job")
    errors = {}
    checked = _check_photos(data["intake"]["photos"], staging, errors)
    if errors:
        return [], errors
    return [(staging.put(content, content_type), caption)
            for (content, content_type), caption in checked], {}


def _check_intake(session, identity, data, photo_errors, at):
    """The store, the client, the priced tasks and whether an estimate is
    required; InvalidInput naming every problem (the photos' too)."""
    errors = dict(photo_errors)
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
        priced, required = _check_work(session, store, data, at, errors)
    if errors:
        raise InvalidInput("the job cannot be taken in as given", errors)
    return store, client, priced, required


def take_in(session, identity, data, stored, photo_errors=None, at=None):
    """A job taken in at the counter: ``received``, numbered, with a tracking
    token; ``stored`` and ``photo_errors`` from ``prepare_intake``."""
    identity.require(INTAKE, "take in a job")
    at = at or now()
    store, client, priced, required = _check_intake(session, identity, data, photo_errors or {}, at)
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


def prepare_photo(identity, data, staging):
    """Before the transaction: a base64 photo checked and stored (422 if refused)."""
    identity.require(BENCH, "add a photo")
    try:
        content, content_type = staging.check(data["content_base64"])
    except PhotoRejected as exc:
        raise InvalidInput(f"the photo was refused: {exc}", {"content_base64": [str(exc)]}) from None
    return staging.put(content, content_type)


def stored_photo(data):
    """What the gateway says of a photo it stored (``PhotoStored``)."""
    return StoredPhoto(data["storage_key"], data["content_type"], data["size_bytes"], data["sha256"])


def add_photo(session, identity, wo_id, stored, data, at=None):
    """The stored photo recorded on the job (``prepare_photo`` or ``stored_photo``)."""
    identity.require(BENCH, "add a photo")
    at = at or now()
    wo = load(session, identity, wo_id, lock=True)   # photos are numbered one at a time
    count = session.scalar(select(func.count()).select_from(Photo).where(Photo.work_order_id == wo.id))
    if count >= MAX_PHOTOS:
        raise Conflict(f"this job already has {MAX_PHOTOS} photos")
    photo = _photo_row(wo, count, stored, data.get("caption") or "", data.get("purpose") or "intake",
                       identity, at)
    session.add(photo)
    session.flush()
    record(session, identity, wo, "photo_added", at, photo_id=photo.id,
           content_type=stored.content_type, size_bytes=stored.size_bytes)
    return photo_view(photo)


def can_add_photo(session, identity, wo_id):
    """Whether the caller may add a photo to this job (404/403/409 if not)."""
    identity.require(BENCH, "add a photo")
    wo = load(session, identity, wo_id)
    count = session.scalar(select(func.count()).select_from(Photo).where(Photo.work_order_id == wo.id))
    if count >= MAX_PHOTOS:
        raise Conflict(f"this job already has {MAX_PHOTOS} photos")
    return {"work_order_id": wo.id, "photos": count}


def photo_file(session, identity, wo_id, photo_id):
    """Where a photo of a job the caller may see is stored (404 otherwise)."""
    wo = load(session, identity, wo_id)
    photo = session.get(Photo, str(photo_id))
    if photo is None or photo.work_order_id != wo.id:
        raise NotFound("no such photo")
    return {"id": photo.id, "content_type": photo.content_type, "size_bytes": photo.size_bytes,
            "sha256": photo.sha256, "storage_key": photo.storage_key}
