"""User administration (issue 17): the rules, on a SQLAlchemy session (no
nameko here); the routes are in ``user_routes``.

- HQ and auditors see every user; a store manager sees the users of their
  own stores (another store's user is "no such user").
- Only ``hq_admin`` changes users. A change of role or stores, a
  deactivation and a password reset end the user's sessions at once
  (``sessions.end_all``, in the same transaction).
- The chain never loses its last active ``hq_admin``, and an ``hq_admin``
  never deactivates or demotes themself (another one must do it).
- A reset gives a one-time temporary password, answered once and kept only
  as its hash; the user must change it at their next sign-in.

Each change returns a ``detail`` saying what changed, for the audit trail
(never a password)."""
import secrets

from sqlalchemy import delete, exists, func, select

from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.identity import CHAIN_WIDE_ROLES, HQ_ADMIN

from . import passwords, sessions
from .domain import check_stores, user_store_ids, user_view
from .models import User, UserStore
from .pagination import page

# no look-alikes (0/O, 1/l/I): a temporary password is read out or typed by hand
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_GROUPS, TEMPORARY_GROUP_LENGTH = 4, 5


# pure rules ---------------------------------------------------------------------

def temporary_password(username=None):
    """A random password that meets the policy, in groups (``Kx7qa-2mPab-...``)."""
    while True:
        groups = ("".join(secrets.choice(_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
                  for _ in range(TEMPORARY_GROUPS))
        candidate = "-".join(groups)
        if not passwords.problems(candidate, username):
            return candidate


def admin_guard(actor_id, target, new_role, new_active, other_active_admins):
    """Refuse (409) a change that would leave the chain without an active
    ``hq_admin``, or an ``hq_admin`` demoting or deactivating themself.
    ``target`` needs ``id``, ``role`` and ``active``."""
    stays_admin = new_role == HQ_ADMIN and new_active
    if target.role != HQ_ADMIN or not target.active or stays_admin:
        return
    what = "deactivate" if not new_active else "demote"
    if str(target.id) == str(actor_id):
        raise Conflict(f"you may not {what} yourself; another hq_admin must do it")
    if other_active_admins == 0:
        raise Conflict(f"may not {what} the last active hq_admin; make another hq_admin first")


def describe_change(before_role, after_role, before_stores, after_stores):
    """What a change did, in words (the audit detail)."""
    parts = []
    if before_role != after_role:
        parts.append(f"role {before_role} -> {after_role}")
    added = sorted(set(after_stores) - set(before_stores))
    removed = sorted(set(before_stores) - set(after_stores))
    if added:
        parts.append("stores added " + ", ".join(added))
    if removed:
        parts.append("stores removed " + ", ".join(removed))
    return "; ".join(parts)


# reading --------------------------------------------------------------------------

def _in_stores(store_ids):
    return exists().where(UserStore.user_id == User.id, UserStore.store_id.in_(store_ids))


def _visible(stmt, identity):
    if identity.chain_wide:
        return stmt
    return stmt.where(_in_stores(list(identity.store_ids)))


def view(session, user):
    return user_view(user, user_store_ids(session, user.id))


def list_users(session, identity, params):
    """Users the caller may see, by username, filtered by ``q`` (part of the
    username, any case), ``role``, ``store_id`` and ``active``."""
    stmt = _visible(select(User), identity)
    if params.get("q"):
        stmt = stmt.where(func.lower(User.username).contains(params["q"].lower(), autoescape=True))
    if params.get("role"):
        stmt = stmt.where(User.role == params["role"])
    if params.get("store_id"):
        stmt = stmt.where(_in_stores([str(params["store_id"])]))
    if params.get("active") is not None:
        stmt = stmt.where(User.active.is_(params["active"]))
    return page(session, stmt, [(User.username, "username")], params,   # unique (any case)
                lambda user: view(session, user))


def get_user(session, identity, user_id, for_update=False):
    stmt = _visible(select(User).where(User.id == str(user_id)), identity)
    if for_update:
        stmt = stmt.with_for_update()
    user = session.scalars(stmt).first()
    if user is None:
        raise NotFound("no such user")
    return user


def _lock_admins(session):
    """The active hq_admins' ids, their rows locked in one order (so two
    admins demoting each other at once cannot both succeed, nor deadlock)."""
    return session.scalars(select(User.id).where(User.role == HQ_ADMIN, User.active.is_(True))
                           .order_by(User.id).with_for_update()).all()


def _others(admin_ids, user):
    return len([i for i in admin_ids if str(i) != str(user.id)])


# changing -------------------------------------------------------------------------

def change_user(session, actor, user_id, data):
    """Change ``role`` and/or ``store_ids``: (the user's view, audit detail)."""
    admins = _lock_admins(session)      # before the user's row: always in one order
    user = get_user(session, actor, user_id, for_update=True)
    before_stores = [str(s) for s in user_store_ids(session, user.id)]
    role = data.get("role", user.role)
    stores = sorted({str(s) for s in data["store_ids"]}) if "store_ids" in data else before_stores
    if role not in CHAIN_WIDE_ROLES and not stores:
        raise InvalidInput("a store role needs a store",
                           {"store_ids": ["a store role needs at least one store"]})
    admin_guard(actor.user_id, user, role, user.active, _others(admins, user))
    check_stores(session, stores)
    detail = describe_change(user.role, role, before_stores, stores)
    if not detail:
        return view(session, user), "no change"
    user.role = role
    if stores != before_stores:
        session.execute(delete(UserStore).where(UserStore.user_id == user.id))
        session.add_all([UserStore(user_id=user.id, store_id=s) for s in stores])
    user.updated_at = func.now()
    sessions.end_all(session, user.id, "role or stores changed")
    session.flush()
    session.refresh(user)
    return view(session, user), detail + "; sessions ended"


def set_active(session, actor, user_id, active):
    """Deactivate (ending the user's sessions) or reactivate a user."""
    admins = _lock_admins(session)
    user = get_user(session, actor, user_id, for_update=True)
    if user.active == active:
        return view(session, user), "already " + ("active" if active else "inactive")
    if not active:
        admin_guard(actor.user_id, user, user.role, False, _others(admins, user))
        sessions.end_all(session, user.id, "user deactivated")
    user.active = active
    user.updated_at = func.now()
    session.flush()
    session.refresh(user)
    return view(session, user), ("reactivated" if active else "deactivated; sessions ended")


def reset_password(session, actor, user_id, password_hash):
    """Store a temporary password's hash; the user must change it at their
    next sign-in; their sessions end."""
    user = get_user(session, actor, user_id, for_update=True)
    if str(user.id) == str(actor.user_id):
        raise Conflict("you may not reset your own password; change it with POST /me/password")
    return _set_password(session, user, password_hash, temporary=True)


def _set_password(session, user, password_hash, temporary):
    """A new password (a temporary one must be changed at the next sign-in);
    every session of the user ends."""
    user.password_hash = password_hash
    user.must_change_password = temporary
    user.password_changed_at = func.now()
    user.updated_at = func.now()
    sessions.end_all(session, user.id, "password reset" if temporary else "password changed")
    session.flush()
    session.refresh(user)
    return user


def change_own_password(session, user_id, checked_hash, password_hash):
    """Set the caller's new password (the current one was checked against
    ``checked_hash``) and end their sessions."""
    user = session.get(User, user_id, with_for_update=True)
    if user is None or user.password_hash != checked_hash:
        raise Conflict("your password changed meanwhile; sign in again")
    _set_password(session, user, password_hash, temporary=False)
