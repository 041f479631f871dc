"""Private viewings per store and associate. An associate is never booked
twice at once: the database refuses the overlap (exclusion constraint), so
two terminals booking the same slot at the same moment get one booking.
A ``date`` is a day of the store's time zone (docs/ARCHITECTURE.md#rule-6)."""
from datetime import datetime, time, timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from chassis.clock import instant, now, zone
from chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from chassis.outbox import emit

from .common import add_timeline, decode_cursor, history, iso, known_store, page, require_full_view, require_writer
from .models import Appointment, Store, TimelineEntry
from .scope import members_only

OVERLAP = "23P01"   # exclusion_violation


def view(appointment):
    return {"id": appointment.id, "client_id": appointment.client_id,
            "store_id": appointment.store_id, "staff_user_id": appointment.staff_user_id,
            "starts_at": iso(appointment.starts_at), "ends_at": iso(appointment.ends_at),
            "purpose": appointment.purpose, "status": appointment.status,
            "created_by": appointment.created_by, "created_at": iso(appointment.created_at)}


def book(session, identity, data):
    require_writer(identity)
    store = known_store(session, data["store_id"])
    if not identity.can_see_store(store.id):
        raise Forbidden("you may not book for this store")
    starts = instant(data["starts_at"])
    if starts < now() - timedelta(minutes=5):
        raise InvalidInput("a viewing is booked ahead", {"starts_at": ["is in the past"]})
    client = members_only(session, identity, data["client_id"])
    appointment = Appointment(
        client_id=client.id, store_id=store.id, staff_user_id=data["staff_user_id"],
        starts_at=starts, ends_at=starts + timedelta(minutes=data["duration_minutes"]),
        purpose=data.get("purpose") or "", status="booked", created_by=identity.user_id,
    )
    session.add(appointment)
    try:
        session.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == OVERLAP:
            raise Conflict(f"{data['staff_user_id']} already has a viewing at that time") from None
        raise
    history(session, identity, "appointment", appointment.id, "booked", client.id,
            store_id=store.id, staff_user_id=appointment.staff_user_id,
            starts_at=iso(appointment.starts_at))
    add_timeline(session, client, "appointment", appointment.starts_at,
                 f"Private viewing at {store.name}" + (f": {appointment.purpose}"
                                                         if appointment.purpose else ""),
                 store_id=store.id, ref_id=appointment.id,
                 for_associate_id=appointment.staff_user_id,
                 details={"status": "booked", "staff_user_id": appointment.staff_user_id,
                          "ends_at": iso(appointment.ends_at)})
    emit(session, "appointment.booked", {
        "appointment_id": appointment.id, "client_id": client.id, "store_id": store.id,
        "staff_user_id": appointment.staff_user_id, "starts_at": iso(appointment.starts_at),
        "ends_at": iso(appointment.ends_at), "purpose": appointment.purpose,
    }, store_id=store.id)
    session.flush()
    return view(appointment)


def cancel(session, identity, appointment_id):
    require_writer(identity)
    appointment = session.scalars(select(Appointment).where(Appointment.id == str(appointment_id))
                                  .with_for_update()).first()
    if appointment is None or not identity.can_see_store(appointment.store_id):
        raise NotFound("no such appointment")
    if appointment.status == "cancelled":
        return view(appointment)
    appointment.status, appointment.cancelled_at = "cancelled", now()
    history(session, identity, "appointment", appointment.id, "cancelled", appointment.client_id)
    for line in session.scalars(select_line(appointment.id)):
        line.details = {**(line.details or {}), "status": "cancelled"}
        line.summary = line.summary + " (cancelled)"
    emit(session, "appointment.cancelled", {
        "appointment_id": appointment.id, "client_id": appointment.client_id,
        "store_id": appointment.store_id, "staff_user_id": appointment.staff_user_id,
        "starts_at": iso(appointment.starts_at)}, store_id=appointment.store_id)
    session.flush()
    return view(appointment)


def select_line(appointment_id):
    return select(TimelineEntry).where(TimelineEntry.kind == "appointment",
                                       TimelineEntry.ref_id == appointment_id)


def day_bounds(day, tz_name):
    """The UTC instants a calendar day of the store's time zone spans."""
    tz = zone(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return instant(start), instant(end)


def list_appointments(session, identity, f):
    require_full_view(identity)
    query = select(Appointment).where(Appointment.status == "booked")
    tz_name = "UTC"
    if f.get("store_id"):
        store = session.get(Store, str(f["store_id"]))
        if store is None:
            raise InvalidInput("unknown store", {"store_id": ["unknown store"]})
        if not identity.can_see_store(store.id):
            raise Forbidden("you may not see this store's book")
        query = query.where(Appointment.store_id == store.id)
        tz_name = store.timezone
    elif not identity.chain_wide:
        query = query.where(Appointment.store_id.in_(identity.store_ids or ("-",)))
    if f.get("date"):
        start, end = day_bounds(f["date"], tz_name)
        query = query.where(Appointment.starts_at >= start, Appointment.starts_at < end)
    if f.get("staff_user_id"):
        query = query.where(Appointment.staff_user_id == f["staff_user_id"])
    if f.get("cursor"):
        starts, appointment_id = decode_cursor(f["cursor"], types=(datetime, UUID))
        query = query.where(or_(Appointment.starts_at > starts,
                                and_(Appointment.starts_at == starts,
                                     Appointment.id > appointment_id)))
    rows = session.scalars(query.order_by(Appointment.starts_at, Appointment.id)
                           .limit(f["limit"] + 1)).all()
    return page(rows, f["limit"], lambda a: [iso(a.starts_at), a.id], view)


def get_appointment(session, identity, appointment_id):
    appointment = session.get(Appointment, str(appointment_id))
    if appointment is None or not identity.can_see_store(appointment.store_id):
        raise NotFound("no such appointment")
    return view(appointment)
