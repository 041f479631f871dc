"""Issue 17: the TOTP second factor on the gateway's database: the sign-in
hook ``sign_in_step`` (POST /auth/token calls it after the password), the
enrolment routes, turning it off, HQ's reset and the chain's policy."""
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from gateway import totp
from gateway.models import User


def code(secret, steps_ahead=0):
    return totp.code_at(secret, time.time() + 30 * steps_ahead)


# --- sign_in_step, on the database alone ----------------------------------------------------------

@pytest.fixture
def engine(database):
    engine = create_engine(database("gateway"))
    yield engine
    engine.dispose()


def make_user(engine, role, secret=None, confirmed=False):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        user = User(username=f"{role}-user", password_hash="x", role=role, active=True,
                    totp_secret=secret)
        session.add(user)
        session.flush()
        if confirmed:
            session.execute(text("update users set totp_confirmed_at = now() where id = :id"),
                            {"id": user.id})
        session.refresh(user)
        return user


def require(engine, *roles):
    with Session(engine) as session, session.begin():
        totp.set_policy(session, roles, None)


def step(engine, user, given):
    """``sign_in_step`` in a transaction of its own, as /auth/token runs it."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return totp.sign_in_step(session, user, given)


def test_without_a_second_factor_the_policy_decides_between_going_on_and_enrolling(engine):
    manager, associate = make_user(engine, "store_manager"), make_user(engine, "sales_associate")
    assert step(engine, manager, None) is None
    assert step(engine, manager, "123456") is None           # a code nobody asked for changes nothing
    require(engine, "store_manager")
    assert step(engine, manager, None) == "enrol"
    assert step(engine, associate, None) is None
    # an enrolment begun but not confirmed is not a second factor yet
    pending = make_user(engine, "hq_admin", secret=totp.new_secret())
    assert step(engine, pending, None) is None
    require(engine, "hq_admin", "store_manager")
    assert step(engine, pending, code(pending.totp_secret)) == "enrol"


def test_with_a_second_factor_the_code_is_required_right_and_good_once(engine):
    secret = totp.new_secret()
    user = make_user(engine, "sales_associate", secret=secret, confirmed=True)
    for given, detail in ((None, "`totp`"), ("", "`totp`"), ("000000" if code(secret) != "000000"
                                                            else "111111", "wrong one-time code"),
                          ("abc", "wrong one-time code")):
        with pytest.raises(totp.OneTimeCodeRequired) as refused:
            step(engine, user, given)
        assert refused.value.status == 401 and detail in refused.value.detail
        assert refused.value.title == "One-time code required"
    assert step(engine, user, code(secret)) is None
    used = totp.step_at()
    with Session(engine) as session:
        assert session.get(User, user.id).totp_last_step in (used, used + 1)
    with pytest.raises(totp.OneTimeCodeRequired, match="wrong one-time code"):
        step(engine, user, code(secret))                     # the same code again: a replay
    assert step(engine, user, code(secret, steps_ahead=1)) is None


def test_a_step_used_elsewhere_meanwhile_is_refused(engine):
    """Two sign-ins with one code at once: the user object each holds is
    stale, the database decides (a conditional update)."""
    secret = totp.new_secret()
    user = make_user(engine, "hq_admin", secret=secret, confirmed=True)
    with Session(engine, expire_on_commit=False) as stale:
        copy = stale.get(User, user.id)
    assert step(engine, user, code(secret)) is None
    with pytest.raises(totp.OneTimeCodeRequired):
        step(engine, copy, code(secret))


# --- the routes -----------------------------------------------------------------------------------

def problem(reply, status):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    return reply.json()


def enrol(api, db):
    begun = api.post("/me/totp")
    assert begun.status_code == 200, begun.text
    body = begun.json()
    confirmed = api.post("/me/totp/confirm", {"code": code(body["secret"])})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["enabled"] is True
    return body["secret"]


def test_enrolment_shows_the_secret_once_and_a_right_code_turns_it_on(admin, db):
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    begun = manager.post("/me/totp", headers={"Idempotency-Key": "enrol-1"})
    assert begun.status_code == 200, begun.text
    body = begun.json()
    assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
    assert body["otpauth_uri"].startswith("otpauth://totp/gateway-tests:store_manager-")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("data:image/svg+xml")
    assert begun.headers["Cache-Control"] == "no-store"
    row = db.all("select totp_secret, totp_confirmed_at from users where id = :id", id=manager.id)[0]
    assert row.totp_secret == body["secret"] and row.totp_confirmed_at is None
    # not replayable: the answer (with its secret) is never kept with the key
    again = manager.post("/me/totp", headers={"Idempotency-Key": "enrol-1"})
    assert again.status_code == 200 and again.json()["secret"] != body["secret"]
    assert "Idempotent-Replayed" not in again.headers
    assert db.scalar("select count(*) from idempotency_keys") == 0
    secret = again.json()["secret"]

    wrong = "000000" if code(secret) != "000000" else "111111"
    assert problem(manager.post("/me/totp/confirm", {"code": wrong}), 422)["errors"] == {
        "code": ["wrong one-time code"]}
    assert problem(manager.post("/me/totp/confirm", {"code": code(body["secret"])}), 422)  # the first
    assert set(problem(manager.post("/me/totp/confirm", {"code": "12x456"}), 422)["errors"]) == {"code"}
    assert db.scalar("select totp_confirmed_at from users where id = :id", id=manager.id) is None
    on = manager.post("/me/totp/confirm", {"code": code(secret)})
    assert on.status_code == 200, on.text
    assert on.json()["enabled"] is True and on.json()["confirmed_at"] and on.json()["required"] is False
    problem(manager.post("/me/totp"), 409)
    problem(manager.post("/me/totp/confirm", {"code": code(secret, 1)}), 409)
    # the secret is never shown again, nor written in the audit trail with a code
    assert secret not in manager.get("/me").text
    audit = db.all("select route, status, detail, path from audit_log where actor_id = :id",
                   id=manager.id)
    assert {(r.route, r.status) for r in audit} >= {("/me/totp", 200), ("/me/totp/confirm", 200),
                                                    ("/me/totp/confirm", 422), ("/me/totp", 409)}
    text_of_audit = repr(audit)
    assert secret not in text_of_audit and body["secret"] not in text_of_audit
    assert code(secret) not in text_of_audit and wrong not in text_of_audit


def test_turning_it_off_needs_a_right_code_and_is_refused_when_the_policy_requires_it(admin, db):
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    problem(manager.request("DELETE", "/me/totp", json={"code": "123456"}), 409)   # none is on
    secret = enrol(manager, db)
    assert admin.request("PUT", "/security-policy",
                         json={"totp_required_roles": ["store_manager"]}).status_code == 200
    assert "store_manager" in problem(
        manager.request("DELETE", "/me/totp", json={"code": code(secret, 1)}), 409)["detail"]
    assert admin.request("PUT", "/security-policy", json={"totp_required_roles": []}).status_code == 200
    problem(manager.request("DELETE", "/me/totp", json={"code": code(secret, -1)}), 422)  # used/older
    problem(manager.request("DELETE", "/me/totp", json={}), 422)
    off = manager.request("DELETE", "/me/totp", json={"code": code(secret, 1)})
    assert off.status_code == 200, off.text
    assert off.json() == {"enabled": False, "confirmed_at": None, "required": False}
    row = db.all("select totp_secret, totp_confirmed_at, totp_last_step from users where id = :id",
                 id=manager.id)[0]
    assert tuple(row) == (None, None, None)


def test_hq_resets_a_lost_phone_and_ends_the_users_sessions(admin, db):
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    other_admin = admin.user("hq_admin")
    enrol(manager, db)
    epoch = db.scalar("select session_epoch from users where id = :id", id=manager.id)
    problem(manager.request("DELETE", f"/users/{manager.id}/totp"), 403)
    problem(admin.request("DELETE", f"/users/{admin.id}/totp"), 403)         # one's own: another admin
    problem(admin.request("DELETE", "/users/00000000-0000-4000-8000-000000000000/totp"), 404)
    reset = admin.request("DELETE", f"/users/{manager.id}/totp")
    assert reset.status_code == 200, reset.text
    assert reset.json()["enabled"] is False
    row = db.all("select totp_secret, totp_confirmed_at, session_epoch from users where id = :id",
                 id=manager.id)[0]
    assert (row.totp_secret, row.totp_confirmed_at, row.session_epoch) == (None, None, epoch + 1)
    assert other_admin.request("DELETE", f"/users/{admin.id}/totp").status_code == 200
    entry = db.all("select actor_id, entity_id, detail from audit_log where route = '/users/{id}/totp' "
                   "and status = 200 order by id")[0]
    assert (entry.actor_id, entry.entity_id) == (admin.id, manager.id) and "sessions" in entry.detail


def test_the_policy_is_hqs_and_names_only_the_roles_it_may_require(admin, db):
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    auditor = admin.user("auditor")
    assert admin.get("/security-policy").json()["totp_required_roles"] == []
    assert auditor.get("/security-policy").status_code == 200
    problem(manager.get("/security-policy"), 403)
    problem(auditor.request("PUT", "/security-policy", json={"totp_required_roles": ["hq_admin"]}), 403)
    problem(manager.request("PUT", "/security-policy", json={"totp_required_roles": []}), 403)
    for body in ({}, {"totp_required_roles": ["sales_associate"]}, {"totp_required_roles": "hq_admin"},
                 {"totp_required_roles": ["hq_admin"], "enforce": True}):
        problem(admin.request("PUT", "/security-policy", json=body), 422)
    changed = admin.request("PUT", "/security-policy",
                            json={"totp_required_roles": ["store_manager", "hq_admin", "hq_admin"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["totp_required_roles"] == ["hq_admin", "store_manager"]
    assert changed.json()["updated_by"] == admin.id
    assert auditor.get("/security-policy").json()["totp_required_roles"] == ["hq_admin", "store_manager"]
    detail = db.scalar("select detail from audit_log where route = '/security-policy' and status = 200")
    assert detail == "second factor required for: hq_admin, store_manager"
    # a user whose role now requires it begins enrolment like anyone; an auditor, read-only
    # elsewhere, may protect their own account too, but not turn the factor off
    assert manager.post("/me/totp").status_code == 200
    assert auditor.post("/me/totp").status_code == 200
    problem(auditor.request("DELETE", "/me/totp", json={"code": "123456"}), 403)


def test_the_password_is_not_enough_once_the_code_is_on(admin, db):
    """What POST /auth/token relies on: the user row a sign-in loads."""
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    secret = enrol(manager, db)
    engine = create_engine(db.url)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            user = session.get(User, manager.id)
            with pytest.raises(totp.OneTimeCodeRequired):
                totp.sign_in_step(session, user, None)
        assert step(engine, user, code(secret, 1)) is None
    finally:
        engine.dispose()


def test_wrong_codes_on_the_routes_are_throttled_like_sign_ins(admin, db):
    """A stolen session cannot try the million codes to turn the factor off."""
    store = admin.store("NYC")
    manager = admin.user("store_manager", [store["id"]])
    secret = enrol(manager, db)
    right = code(secret, 1)
    wrong = next(c for c in ("000000", "111111", "222222") if totp.matching_step(secret, c) is None)
    for _ in range(5):
        problem(manager.request("DELETE", "/me/totp", json={"code": wrong}), 422)
    locked = manager.request("DELETE", "/me/totp", json={"code": right})
    assert problem(locked, 429) and int(locked.headers["Retry-After"]) >= 1
    assert db.scalar("select totp_confirmed_at from users where id = :id", id=manager.id) is not None
    with db.engine.begin() as conn:
        conn.execute(text("update signin_failures set locked_until = now() - interval '1 second'"))
    off = manager.request("DELETE", "/me/totp", json={"code": right})
    assert off.status_code == 200, off.text
    assert db.scalar("select count(*) from signin_failures where key = :k", k=f"totp:{manager.id}") == 0
