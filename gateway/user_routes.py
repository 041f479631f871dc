"""User administration over HTTP (docs/API.md#users): thin routes over the
rules in ``users``.

A mixin of the gateway ``Service``: it uses the service's ``db`` and
``settings``. Every change is audited by the route plumbing with the user as
``entity_id`` and a ``detail`` saying what changed (never a password). The
password routes are not idempotent: a temporary password must never be kept
in an ``Idempotency-Key`` answer.
"""
from werkzeug.wrappers import Response

from chassis.errors import InvalidInput
from chassis.identity import ANY_STAFF, HQ, HQ_ADMIN, STORE_MANAGER

from . import auth, domain, schemas, throttle, user_schemas as us, users
from .http import route
from .models import User

VIEWERS = HQ + (STORE_MANAGER,)


class UserRoutes:

    @route("POST", "/users", roles=(HQ_ADMIN,), body=schemas.UserCreate, response=us.UserView,
           status=201, idempotent=True)
    def create_user(self, request):
        """Create a user with a role and the stores they work in."""
        password_hash = auth.hash_password(request.body["password"])
        with self.db.transaction() as session:
            return domain.create_user(session, request.body, password_hash)

    @route("GET", "/users", roles=VIEWERS, query=us.UserQuery, response=us.UserPage)
    def list_users(self, request):
        """Users by username: HQ and auditors see all, a store manager the
        users of their own stores; ``q`` finds part of a username (any case);
        ``role``, ``store_id`` and ``active`` filter."""
        with self.db.transaction() as session:
            return users.list_users(session, request.identity, request.params)

    @route("GET", "/users/{id}", roles=VIEWERS, response=us.UserView)
    def get_user(self, request, id):
        """One user (another store's user, for a store manager: 404)."""
        with self.db.transaction() as session:
            return users.view(session, users.get_user(session, request.identity, id))

    @route("PATCH", "/users/{id}", roles=(HQ_ADMIN,), body=us.UserChange, response=us.UserView,
           errors=(409,))
    def change_user(self, request, id):
        """Change a user's role and/or stores (``store_ids``: all of them).

        A change ends the user's sessions: they sign in again with the new
        role. Refused (409): demoting yourself, or the last active hq_admin."""
        with self.db.transaction() as session:
            user, request.audit["detail"] = users.change_user(session, request.identity, id,
                                                              request.body)
        return user

    @route("POST", "/users/{id}/deactivate", roles=(HQ_ADMIN,), response=us.UserView, errors=(409,))
    def deactivate_user(self, request, id):
        """Deactivate a user: they cannot sign in and their sessions end now.

        Refused (409): deactivating yourself, or the last active hq_admin."""
        with self.db.transaction() as session:
            user, request.audit["detail"] = users.set_active(session, request.identity, id, False)
        return user

    @route("POST", "/users/{id}/reactivate", roles=(HQ_ADMIN,), response=us.UserView)
    def reactivate_user(self, request, id):
        """Let a deactivated user sign in again."""
        with self.db.transaction() as session:
            user, request.audit["detail"] = users.set_active(session, request.identity, id, True)
        return user

    @route("POST", "/users/{id}/password-reset", roles=(HQ_ADMIN,), response=us.PasswordReset,
           errors=(409,))
    def reset_password(self, request, id):
        """Give a user a one-time temporary password, answered this once.

        The user's sessions end; at their next sign-in they must change it
        (``must_change_password``). Only its hash is kept; it is never
        audited nor kept for an ``Idempotency-Key`` (this route takes none)."""
        with self.db.transaction() as session:
            username = users.get_user(session, request.identity, id).username
        temporary = users.temporary_password(username)
        password_hash = auth.hash_password(temporary)
        with self.db.transaction() as session:
            user = users.reset_password(session, request.identity, id, password_hash)
        request.audit["detail"] = "password reset: a temporary password was issued; sessions ended"
        return {"id": user.id, "username": user.username, "temporary_password": temporary,
                "must_change_password": True}

    @route("POST", "/me/password", roles=ANY_STAFF, body=us.PasswordChange, status=204,
           errors=(401, 429), limited_ok=True)
    def change_own_password(self, request):
        """Change your own password; every session of yours ends (204: sign in again).

        A wrong ``current_password`` is a 422 on that field and counts as a
        failed sign-in (throttled like ``POST /auth/token``: 429)."""
        identity, data = request.identity, request.body
        request.audit["entity_id"] = identity.user_id
        with self.db.transaction() as session:
            user = session.get(User, identity.user_id)
            if user is None or not user.active:
                raise auth.Unauthorized("this user no longer exists")
            keys = throttle.keys(user.username, request.remote_addr)
            throttle.check(session, keys)
        ok, _ = auth.check_password(user.password_hash, data["current_password"])
        if not ok:
            with self.db.transaction() as session:
                throttle.fail(session, keys, self.settings)
            raise InvalidInput("wrong current password",
                               {"current_password": ["is not your current password"]})
        problems = us.new_password_problems(data["new_password"], user.username)
        if problems:
            raise InvalidInput("the new password is refused", problems)
        password_hash = auth.hash_password(data["new_password"])
        with self.db.transaction() as session:
            users.change_own_password(session, user.id, user.password_hash, password_hash)
            throttle.succeed(session, keys[0])
        request.audit["detail"] = "own password changed; sessions ended"
        return Response(status=204)
