"""Stores (inventory's copy of the gateway's facts) and vendors."""
from uuid import UUID

from sqlalchemy import and_, or_, select

from chassis import stores
from chassis.errors import Forbidden, NotFound
from chassis.pagination import decode_cursor, encode_cursor

from .models import Store, Vendor


def record_store(session, facts):
    """Keep the store facts inventory needs (from ``store.created/updated``)."""
    stores.record_store(session, Store, facts)


def create_vendor(session, identity, data):
    if identity.read_only:
        raise Forbidden("read-only role")
    vendor = Vendor(name=data["name"], contact=data.get("contact") or {})
    session.add(vendor)
    session.flush()
    return vendor_view(vendor)


def update_vendor(session, identity, vendor_id, data):
    """Change a vendor's name or contact fields (``contact`` replaces the old
    ones as a whole); vendors are the chain's, as at creation."""
    if identity.read_only:
        raise Forbidden("read-only role")
    vendor = session.scalars(select(Vendor).where(Vendor.id == str(vendor_id))
                             .with_for_update()).first()
    if vendor is None:
        raise NotFound("no such vendor")
    if "name" in data:
        vendor.name = data["name"]
    if "contact" in data:
        vendor.contact = data["contact"] or {}
    session.flush()
    return vendor_view(vendor)


def vendor_view(vendor):
    return {"id": vendor.id, "name": vendor.name, "contact": vendor.contact or {},
            "created_at": vendor.created_at.isoformat() if vendor.created_at else None}


def list_vendors(session, identity, limit=50, cursor=None):
    query = select(Vendor).order_by(Vendor.name, Vendor.id).limit(limit + 1)
    if cursor:
        name, vid = decode_cursor(cursor, types=(str, UUID))
        query = query.where(or_(Vendor.name > name, and_(Vendor.name == name, Vendor.id > vid)))
    rows = session.scalars(query).all()
    page = rows[:limit]
    return {"items": [vendor_view(v) for v in page],
            "next_cursor": encode_cursor([page[-1].name, page[-1].id]) if len(rows) > limit else None}
