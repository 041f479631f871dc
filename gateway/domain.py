"""Users and stores: the rules, on a SQLAlchemy session (no nameko here).

The gateway owns the stores (docs/API.md#identity-stores-audit) and tells the
services their facts by ``store.created`` / ``store.updated``; each keeps its
copy with ``chassis.stores.record_store`` (docs/ARCHITECTURE.md#rule-2)."""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.outbox import emit
from chassis.stores import STORE_FACTS

from .models import Store, User, UserStore
from .pagination import page

# users ------------------------------------------------------------------------

def user_store_ids(session, user_id):
    return session.scalars(
        select(UserStore.store_id).where(UserStore.user_id == user_id).order_by(UserStore.store_id)
    ).all()


def user_view(user, store_ids):
    return {"id": user.id, "username": user.username, "role": user.role,
            "store_ids": list(store_ids), "active": user.active, "created_at": user.created_at,
            "updated_at": user.updated_at, "must_change_password": bool(user.must_change_password),
            "password_changed_at": user.password_changed_at}


def find_user(session, username):
    return session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()


def count_users(session):
    return session.scalar(select(func.count()).select_from(User))


def check_stores(session, store_ids):
    """``InvalidInput`` on ``store_ids`` naming each store that does not exist."""
    if not store_ids:
        return
    known = set(session.scalars(select(Store.id).where(Store.id.in_(store_ids))).all())
    unknown = [s for s in store_ids if s not in known]
    if unknown:
        raise InvalidInput("unknown store", {"store_ids": [f"unknown store {s}" for s in unknown]})


def create_user(session, data, password_hash):
    """``data`` is a loaded ``UserCreate``; the password is already hashed."""
    store_ids = sorted({str(s) for s in data["store_ids"]})
    check_stores(session, store_ids)
    if find_user(session, data["username"]) is not None:
        raise Conflict(f"the username {data['username']!r} is taken")
    user = User(username=data["username"], password_hash=password_hash, role=data["role"], active=True)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create of the same username
        raise Conflict(f"the username {data['username']!r} is taken") from None
    session.add_all([UserStore(user_id=user.id, store_id=s) for s in store_ids])
    session.flush()
    session.refresh(user)
    return user_view(user, store_ids)


# stores -----------------------------------------------------------------------

def store_view(store):
    return {k: getattr(store, k) for k in STORE_FACTS} | {
        "created_at": store.created_at, "updated_at": store.updated_at}


def _facts(store):
    return {k: getattr(store, k) for k in STORE_FACTS}


def _code_taken(session, code, but=None):
    stmt = select(Store.id).where(Store.code == code)
    if but:
        stmt = stmt.where(Store.id != but)
    return session.scalar(stmt) is not None


def create_store(session, data):
    """Create a store and publish ``store.created`` in the same transaction."""
    if _code_taken(session, data["code"]):
        raise Conflict(f"the store code {data['code']!r} is taken")
    store = Store(**{k: data.get(k) for k in STORE_FACTS if k != "id"})
    session.add(store)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the store code {data['code']!r} is taken") from None
    session.refresh(store)
    emit(session, "store.created", _facts(store), store_id=store.id)
    return store_view(store)


def update_store(session, store_id, data):
    store = session.get(Store, store_id, with_for_update=True)
    if store is None:
        raise NotFound("no such store")
    if "code" in data and _code_taken(session, data["code"], but=store.id):
        raise Conflict(f"the store code {data['code']!r} is taken")
    for key, value in data.items():
        setattr(store, key, value)
    store.updated_at = func.now()
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"the store code {data['code']!r} is taken") from None
    session.refresh(store)
    emit(session, "store.updated", _facts(store), store_id=store.id)
    return store_view(store)


def list_stores(session, identity, params):
    stmt = select(Store)
    if not identity.chain_wide:
        stmt = stmt.where(Store.id.in_(identity.store_ids))
    return page(session, stmt, [(Store.code, "code")], params, store_view)


def stores_snapshot(session, cursor=None, limit=500):
    """Every store's facts, by id, a page at a time (the rebuild of other
    services' store copies reads this): ``{"items", "next_cursor"}``."""
    stmt = select(Store).order_by(Store.id).limit(limit + 1)
    if cursor:
        stmt = stmt.where(Store.id > str(cursor))
    rows = session.scalars(stmt).all()
    page_rows = rows[:limit]
    return {"items": [{k: str(v) if k == "id" else v for k, v in _facts(s).items()}
                      for s in page_rows],
            "next_cursor": page_rows[-1].id if len(rows) > limit else None}
