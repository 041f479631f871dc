"""Issue 17, sessions belong to a live user (gateway/sessions.py): short
access tokens, a rotating refresh token per session, reuse of a spent one
ends the session, sign-out, the user's epoch, limited sessions."""
import time

import jwt
from sqlalchemy.orm import Session

from gateway import sessions, totp

from .conftest import ADMIN, AUDIENCE, ISSUER, PASSWORD, SECRET, token


def sign_in(api, username=ADMIN[0], password=ADMIN[1], **more):
    reply = api.post("/auth/token", {"username": username, "password": password, **more})
    assert reply.status_code == 200, reply.text
    return reply.json()


def refresh(api, refresh_token):
    return api.post("/auth/refresh", {"refresh_token": refresh_token})


def claims_of(access_token):
    return jwt.decode(access_token, SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)


def me(api, access_token):
    return api.as_(access_token).get("/me")


def execute(db, sql, **params):
    from sqlalchemy import text
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_refresh_rotates_and_a_spent_token_ends_the_whole_session(api, admin, db):
    first = sign_in(api)
    assert first["expires_in"] == 900 and first["limit"] is None
    sid = claims_of(first["access_token"])["sid"]
    stored = db.scalar("select refresh_salt from sessions where id = :s", s=sid)
    assert len(stored) == 64 and stored not in first["refresh_token"]           # never the token
    assert first["refresh_token"].startswith(f"{sid}.0.")
    second = refresh(api, first["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["session_expires_at"] == first["session_expires_at"]   # the shift's end holds
    assert claims_of(second["access_token"])["sid"] == sid
    assert me(api, second["access_token"]).status_code == 200
    assert db.scalar("select generation from sessions where id = :s", s=sid) == 1
    # the first refresh token again: someone kept a copy; the whole family ends
    reused = refresh(api, first["refresh_token"])
    assert reused.status_code == 401 and "refresh token reused" in reused.json()["detail"]
    assert refresh(api, second["refresh_token"]).status_code == 401
    for access in (first["access_token"], second["access_token"]):
        assert me(api, access).status_code == 401
    assert db.scalar("select ended_reason from sessions where id = :s", s=sid) == "refresh token reused"
    assert me(api, admin.token).status_code == 200          # the user's other session lives on
    for bad in ("", "garbage", f"{sid}", f"{sid}.", "not-a-uuid.secret", f"{sid}.1.{'0' * 64}"):
        assert refresh(api, bad).status_code in (401, 422), bad


def test_a_forged_refresh_token_ends_nothing(api, admin, db):
    """Knowing a session's id (it is in every access token) is not enough to
    end the session: only a genuine spent token is a reuse."""
    live = sign_in(api)
    sid, generation, mac = live["refresh_token"].split(".")
    for forged in (f"{sid}.{generation}.{'0' * 64}", f"{sid}.{int(generation) + 1}.{mac}",
                   f"{sid}.0.{mac[::-1]}"):
        assert refresh(api, forged).status_code == 401, forged
    assert db.scalar("select ended_at from sessions where id = :s", s=sid) is None
    assert refresh(api, live["refresh_token"]).status_code == 200


def test_sign_out_ends_that_session_at_once(api, admin, db):
    other = sign_in(api)
    reply = api.as_(other["access_token"]).post("/auth/logout")
    assert reply.status_code == 204, reply.text
    assert me(api, other["access_token"]).status_code == 401
    assert refresh(api, other["refresh_token"]).status_code == 401
    assert me(api, admin.token).status_code == 200
    sid = claims_of(other["access_token"])["sid"]
    assert db.scalar("select ended_reason from sessions where id = :s", s=sid) == "signed out"
    assert db.scalar("select count(*) from audit_log where route = '/auth/logout' and status = 204") == 1


def test_raising_the_epoch_ends_every_session_of_the_user(api, admin, db):
    other = sign_in(api)
    with Session(db.engine) as session, session.begin():
        sessions.end_all(session, admin.id, "password reset")
    for access in (admin.token, other["access_token"]):
        reply = me(api, access)
        assert reply.status_code == 401 and "sign in again" in reply.json()["detail"]
    assert refresh(api, other["refresh_token"]).status_code == 401
    fresh = sign_in(api)                                   # a new session carries the new epoch
    assert claims_of(fresh["access_token"])["epoch"] == 1
    assert me(api, fresh["access_token"]).status_code == 200


def test_an_inactive_user_and_an_expired_session_are_refused(api, admin, db):
    store = admin.store("NYC")
    seller = admin.user("sales_associate", [store["id"]])
    session = sign_in(api, seller_name(db, seller.id), PASSWORD)
    execute(db, "update users set active = false where id = :u", u=seller.id)
    assert me(api, seller.token).status_code == 401
    assert refresh(api, session["refresh_token"]).status_code == 401
    # a session past its hard end: refused though its access token has not expired
    execute(db, "update sessions set expires_at = now() - interval '1 second' where user_id = :u",
            u=admin.id)
    assert me(api, admin.token).status_code == 401


def seller_name(db, user_id):
    return db.scalar("select username from users where id = :u", u=user_id)


def test_a_token_older_than_a_session_or_longer_than_an_access_token_is_refused(api, admin):
    real = claims_of(admin.token)
    now = int(time.time())
    live = {k: real[k] for k in ("sub", "username", "role", "store_ids", "sid", "epoch")}
    assert me(api, token(live, iat=now - 60, exp=now + 600)).status_code == 200   # the forge works
    ancient = me(api, token(live, iat=now - 13 * 3600, exp=4102444800))           # exp in 2100
    too_long = me(api, token(live, iat=now, exp=now + 3600))
    for reply in (ancient, too_long):
        assert reply.status_code == 401, reply.text
    assert me(api, token(live, iat=now + 3600, exp=now + 3600 + 600)).status_code == 401  # future


def test_a_limited_session_may_only_do_what_it_must(api, admin, db, monkeypatch):
    execute(db, "update users set must_change_password = true where id = :u", u=admin.id)
    limited = sign_in(api)
    assert limited["limit"] == "password" and claims_of(limited["access_token"])["limit"] == "password"
    caller = api.as_(limited["access_token"])
    for reply in (caller.get("/stores"), caller.post("/stores", {"code": "X"}), caller.get("/audit")):
        assert reply.status_code == 403, reply.text
        assert reply.json()["title"] == "Password change required"
    assert caller.get("/me").status_code == 200
    renewed = refresh(api, limited["refresh_token"])
    assert renewed.status_code == 200 and renewed.json()["limit"] == "password"
    assert api.as_(renewed.json()["access_token"]).post("/auth/logout").status_code == 204
    # a second factor the policy requires and the user has not enrolled
    execute(db, "update users set must_change_password = false where id = :u", u=admin.id)
    monkeypatch.setattr(totp, "sign_in_step", lambda session, user, code: "enrol")
    enrol = sign_in(api)
    assert enrol["limit"] == "totp"
    reply = api.as_(enrol["access_token"]).get("/stores")
    assert reply.status_code == 403 and reply.json()["title"] == "Second factor required"
    monkeypatch.undo()
    assert me(api, sign_in(api)["access_token"]).status_code == 200


def test_a_wrong_second_factor_is_refused_counted_and_audited(api, admin, db, monkeypatch):
    def step(session, user, code):
        raise totp.OneTimeCodeRequired("wrong one-time code" if code else "a one-time code is required (totp)")

    monkeypatch.setattr(totp, "sign_in_step", step)
    missing = api.post("/auth/token", {"username": ADMIN[0], "password": ADMIN[1]})
    assert missing.status_code == 401 and "totp" in missing.json()["detail"]
    assert db.scalar("select count(*) from signin_failures where key = 'user:hq.admin'") == 0
    wrong = api.post("/auth/token", {"username": ADMIN[0], "password": ADMIN[1], "totp": "123456"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong one-time code"
    assert db.scalar("select failures from signin_failures where key = 'user:hq.admin'") == 1
    rows = db.all("select status, detail from audit_log where route = '/auth/token' order by id")
    assert rows[-1].status == 401 and "wrong one-time code" in rows[-1].detail
    assert not any(ADMIN[1] in (r.detail or "") or "123456" in (r.detail or "") for r in rows)
    assert db.scalar("select count(*) from sessions") == 1               # the admin fixture's only


def test_a_refused_sign_in_body_is_audited_without_the_password(api, admin, db):
    for body in ({"username": "hq.admin", "password": "secret\u0000pw-one"},
                 {"username": "hq.admin", "password": "secret-pw-two", "totp": ""}):
        reply = api.post("/auth/token", body)
        assert reply.status_code in (400, 422), reply.text
    rows = db.all("select status, detail from audit_log where route = '/auth/token' and status >= 400")
    assert len(rows) == 2
    assert not any("secret" in (r.detail or "") for r in rows)


def test_sessions_long_over_are_purged(api, admin, db):
    execute(db, "insert into sessions (id, user_id, epoch, created_at, expires_at, refresh_salt) "
                "values (gen_random_uuid(), :u, 0, now() - interval '101 days', "
                "now() - interval '100 days', :h)", u=admin.id, h="0" * 64)
    assert db.scalar("select count(*) from sessions") == 2
    with Session(db.engine) as session, session.begin():
        sessions.purge(session)
    assert db.scalar("select count(*) from sessions") == 1
    assert me(api, admin.token).status_code == 200


def test_a_session_past_its_end_is_marked_ended_when_refreshed(api, admin, db):
    live = sign_in(api)
    sid = claims_of(live["access_token"])["sid"]
    execute(db, "update sessions set expires_at = now() - interval '1 second' where id = :s", s=sid)
    refused = refresh(api, live["refresh_token"])
    assert refused.status_code == 401 and "ended" in refused.json()["detail"]
    assert db.scalar("select ended_reason from sessions where id = :s", s=sid) == "expired"


def test_a_password_reset_during_a_sign_in_wins(api, admin, db, monkeypatch):
    """The password is checked outside the transaction that starts the
    session: a reset landing in between refuses the sign-in (and a rehash
    never writes the old password back over the new one)."""
    from gateway import auth_routes
    checked = auth_routes.auth.check_password

    def check_then_reset(password_hash, password):
        answer = checked(password_hash, password)
        execute(db, "update users set password_hash = 'reset-meanwhile' where username = :u", u=ADMIN[0])
        return answer[0], True                    # and a rehash is due
    monkeypatch.setattr(auth_routes.auth, "check_password", check_then_reset)
    before = db.scalar("select count(*) from sessions")
    refused = api.post("/auth/token", {"username": ADMIN[0], "password": ADMIN[1]})
    assert refused.status_code == 401, refused.text
    assert db.scalar("select password_hash from users where username = :u", u=ADMIN[0]) == "reset-meanwhile"
    assert db.scalar("select count(*) from sessions") == before


def test_hostile_refresh_tokens_and_headers_are_refused_not_failed(api, admin, db):
    live = sign_in(api)
    sid = claims_of(live["access_token"])["sid"]
    for hostile in (f"{sid}.0.{'é' * 64}", f"{sid}.\u0663.{'0' * 64}", f"{sid}.0.{'A' * 64}"):
        assert refresh(api, hostile).status_code == 401, hostile
    reply = api.post("/auth/token", {"username": ADMIN[0], "password": ADMIN[1]},
                     headers={"User-Agent": "till\x00three"})
    assert reply.status_code == 200, reply.text
    sid = claims_of(reply.json()["access_token"])["sid"]
    assert db.scalar("select user_agent from sessions where id = :s", s=sid) == "tillthree"
