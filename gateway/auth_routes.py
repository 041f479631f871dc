"""Sign-in, refresh, sign-out and who am I (docs/API.md#sessions): the HTTP
side of ``sessions`` and ``auth``; the second factor is ``totp``'s."""
from sqlalchemy import update

from chassis.errors import ServiceError

from . import auth, domain, schemas, sessions, throttle, totp
from .http import Reply, route
from .models import User


class AuthRoutes:
    """Mixed into the gateway's ``Service`` (``self.db``, ``self.settings``)."""

    @route("POST", "/auth/token", public=True, body=schemas.TokenRequest, response=schemas.TokenReply,
           errors=(401, 429))
    def issue_token(self, request):
        """Sign in: a session, its access token and refresh token.

        Failures are counted per username and per client address: after
        ``SIGNIN_MAX_FAILURES`` within ``SIGNIN_WINDOW_SECONDS`` every attempt
        is refused for a while (429 with ``Retry-After``), even the right one.
        A user with a second factor sends its code in ``totp`` (401 without
        it). A session that must first change its password or enrol a second
        factor is ``limit``-ed: other routes answer it 403."""
        data = request.body
        request.audit["actor_username"] = data["username"]
        keys = throttle.keys(data["username"], request.remote_addr)
        with self.db.transaction() as session:
            throttle.check(session, keys)
            user = domain.find_user(session, data["username"])
        ok, rehash = auth.check_password(user.password_hash if user else None, data["password"])
        if not ok or not user.active:
            self.signin_failed(request, keys, auth.Unauthorized("wrong username or password"))
        checked = user.password_hash
        try:
            with self.db.transaction() as session:
                user = session.get(User, user.id, with_for_update=True)
                if user.password_hash != checked or not user.active:   # reset or deactivated meanwhile
                    raise auth.Unauthorized("wrong username or password")
                step = totp.sign_in_step(session, user, data.get("totp"))
                throttle.succeed(session, keys[0])
                if rehash:
                    new_hash = auth.hash_password(data["password"])
                    session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
                reply = sessions.start(session, self.settings, user,
                                       domain.user_store_ids(session, user.id),
                                       sessions.limit_for(session, user, step), keys[1][5:],
                                       request.headers.get("User-Agent"))
        except ServiceError as exc:   # the second factor missing (not counted) or wrong; a stale password
            missing_code = isinstance(exc, totp.OneTimeCodeRequired) and not data.get("totp")
            self.signin_failed(request, keys, exc, counted=not missing_code)
        request.audit.update(actor_id=user.id, actor_username=user.username, actor_role=user.role,
                             entity_id=user.id, detail=_signed_in(reply))
        return reply

    def signin_failed(self, request, keys, error, counted=True):
        """Audit a failed sign-in (never the password or code), count it, raise it."""
        request.audit["detail"] = f"{error.title}: {error.detail} (client {keys[1][5:]})"[:1000]
        if counted:
            with self.db.transaction() as session:
                throttle.fail(session, keys, self.settings)
        raise error

    @route("POST", "/auth/refresh", public=True, limited_ok=True, body=schemas.RefreshRequest,
           response=schemas.TokenReply, errors=(401,))
    def refresh_token(self, request):
        """A new access token and refresh token for a refresh token, spent by it.

        The session's hard end does not move. A refresh token that was
        already spent ends the whole session (someone kept a copy): 401."""
        with self.db.transaction() as session:
            user, row, ended = sessions.refresh(session, self.settings, request.body["refresh_token"])
            if row is not None:
                reply = sessions.pair(self.settings, user, row, domain.user_store_ids(session, user.id),
                                      sessions.limit_for(session, user))
        request.audit.update(actor_id=user.id, actor_username=user.username, actor_role=user.role,
                             entity_id=user.id)
        if row is None:
            request.audit["detail"] = f"session ended: {ended}"
            raise auth.Unauthorized(f"{ended}; sign in again")
        request.audit["detail"] = f"session {row.id} refreshed"
        return reply

    @route("POST", "/auth/logout", limited_ok=True, status=204)
    def logout(self, request):
        """Sign out: end the caller's session (its tokens stop working at once)."""
        claims = auth.read_token(self.settings, auth.bearer_token(request.headers.get("Authorization")))
        with self.db.transaction() as session:
            sessions.end(session, claims.sid, "signed out")
        request.audit.update(entity_id=request.identity.user_id, detail=f"session {claims.sid} ended")
        return Reply("", status=204)

    @route("GET", "/me", limited_ok=True, response=schemas.Me)
    def me(self, request):
        """Who the token belongs to."""
        with self.db.transaction() as session:
            user = session.get(User, request.identity.user_id)   # live: the session check saw to it
            store_ids = domain.user_store_ids(session, user.id)
        return {"id": user.id, "username": user.username, "role": user.role, "store_ids": store_ids}


def _signed_in(reply):
    limit = f", limited to: {reply['limit']}" if reply["limit"] else ""
    return f"signed in (session until {reply['session_expires_at'].isoformat(timespec='minutes')}{limit})"
