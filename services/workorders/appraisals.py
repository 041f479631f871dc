"""Appraisal documents (docs/DOMAIN.md#the-jewelry-trade-in-one-page,
"Appraisal"): written on an appraisal job, kept as data (every version),
printed again on demand exactly as written."""
from decimal import Decimal

from sqlalchemy import func, select

from chassis.clock import local_day, now
from chassis.display import locale_for
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.storage import run_off_loop

from . import documents
from .jobs import APPRAISERS, load, record
from .models import Appraisal, Client, Photo, Store
from .views import appraisal_summary

WRITABLE_IN = ("approved", "in_progress", "quality_check")


def _plain(value):
    """Loaded marshmallow data as JSON (decimals as their text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def write(session, identity, wo_id, data, at=None):
    identity.require(APPRAISERS, "write an appraisal")
    at = at or now()
    wo = load(session, identity, wo_id, lock=True)   # versions are numbered one at a time
    if wo.kind != "appraisal":
        raise Conflict(f"this is a {wo.kind} job: only an appraisal job has an appraisal document")
    if wo.stage not in WRITABLE_IN:
        raise Conflict(f"the job is {wo.stage}: an appraisal is written once the job is approved "
                       "and before it is ready for pickup")
    store = session.get(Store, wo.store_id)
    errors = {}
    value = data["replacement_value"]
    if value["currency"] != wo.currency:
        errors["replacement_value.currency"] = [f"the store works in {wo.currency}"]
    appraised_on = data.get("appraised_on") or local_day(at, store.timezone)
    if appraised_on > local_day(at, store.timezone):
        errors["appraised_on"] = ["in the future"]
    photos = session.scalars(select(Photo).where(Photo.work_order_id == wo.id)
                             .order_by(Photo.position)).all()
    if data.get("photo_ids") is None:
        photo_ids = [p.id for p in photos[:3]]
    else:
        photo_ids = [str(p) for p in data["photo_ids"]]
        unknown = [p for p in photo_ids if p not in {ph.id for ph in photos}]
        if unknown:
            errors["photo_ids"] = [f"not a photo of this job: {p}" for p in unknown]
    if errors:
        raise InvalidInput("the appraisal cannot be written as given", errors)
    version = (session.scalar(select(func.max(Appraisal.version))
                              .where(Appraisal.work_order_id == wo.id)) or 0) + 1
    client = session.get(Client, wo.client_id)
    document = _plain({
        "number": wo.number, "version": version, "kind": wo.kind,
        "piece_description": data["piece_description"], "metal": data.get("metal"),
        "stones": data.get("stones") or [], "replacement_value": value,
        "appraiser": data["appraiser"], "appraised_on": appraised_on.isoformat(),
        "photo_ids": photo_ids, "notes": data.get("notes") or "",
        "store": {"name": store.name, "code": store.code, "phone": store.phone,
                  "address": store.address},
        "owner": {"first_name": client.first_name, "last_name": client.last_name},
    })
    appraisal = Appraisal(work_order_id=wo.id, version=version, document=document,
                          appraised_on=appraised_on, created_at=at, created_by=identity.user_id)
    session.add(appraisal)
    session.flush()
    record(session, identity, wo, "appraisal_written", at, version=version,
           replacement_value=value, appraiser=data["appraiser"]["name"])
    return {"work_order_id": wo.id} | appraisal_summary(appraisal)


def document(session, identity, wo_id, version=None):
    """What the appraisal PDF shows (the latest version by default), read in
    the transaction: (document, [(storage key, content type)], locale). The
    photos are fetched and the PDF drawn after it closed (``render``)."""
    wo = load(session, identity, wo_id)
    stmt = select(Appraisal).where(Appraisal.work_order_id == wo.id)
    stmt = (stmt.where(Appraisal.version == int(version)) if version is not None
            else stmt.order_by(Appraisal.version.desc()).limit(1))
    appraisal = session.scalars(stmt).first()
    if appraisal is None:
        raise NotFound("this job has no appraisal document yet")
    doc = appraisal.document
    photos = []
    for photo_id in doc.get("photo_ids") or []:
        photo = session.get(Photo, photo_id)
        if photo is not None:
            photos.append((photo.storage_key, photo.content_type))
    # the store's locale now: the amount is the one written, in the way its store prints money
    store = session.get(Store, wo.store_id)
    return doc, photos, locale_for(store.country)


def render(doc, photos, locale, staging):
    """The appraisal document as PDF bytes, outside any transaction."""
    pictures = []
    for key, content_type in photos:
        try:
            pictures.append((staging.get(key), content_type))
        except (KeyError, OSError):  # a lost file leaves a gap on the page, not an error
            pass
    return run_off_loop(documents.appraisal_pdf, doc, pictures, locale)
