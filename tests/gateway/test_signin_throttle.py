"""Issue 17: failed sign-ins are throttled per username and per client
address (gateway/throttle.py), the state in the gateway's database."""
from gateway import settings as settings_module, throttle

from .conftest import ADMIN, SECRET as JWT

SECRET = {"JWT_SECRET": JWT}


def wrong(api, username="hq.admin"):
    return api.post("/auth/token", {"username": username, "password": "not-the-password"})


def test_five_failures_lock_the_username_even_for_the_right_password(api, admin, db):
    for _ in range(5):
        assert wrong(api).status_code == 401
    locked = api.post("/auth/token", {"username": ADMIN[0], "password": ADMIN[1]})
    assert locked.status_code == 429, locked.text
    assert locked.headers["Content-Type"].startswith("application/problem+json")
    assert 1 <= int(locked.headers["Retry-After"]) <= 60
    assert locked.json()["status"] == 429
    # every failure is in the audit trail, without the password
    rows = db.all("select status, actor_username, detail from audit_log "
                  "where route = '/auth/token' order by id")
    assert [r.status for r in rows].count(401) == 5 and rows[-1].status == 429
    assert all(r.actor_username == "hq.admin" for r in rows[1:])
    assert not any("not-the-password" in (r.detail or "") for r in rows)
    assert "127.0.0.1" in rows[1].detail


def test_the_lockout_doubles_and_a_success_after_it_resets_the_count(api, admin, db):
    for _ in range(5):
        wrong(api)
    db_exec(db, "update signin_failures set locked_until = now() - interval '1 second'")
    assert wrong(api).status_code == 401          # the 6th failure: a longer lockout
    assert 60 < int(wrong(api).headers["Retry-After"]) <= 120
    db_exec(db, "update signin_failures set locked_until = now() - interval '1 second'")
    api.login(*ADMIN)
    assert db.scalar("select count(*) from signin_failures where key = 'user:hq.admin'") == 0
    assert wrong(api).status_code == 401           # counting starts again


def test_one_address_trying_many_usernames_is_locked(api, admin, db):
    # an address has a higher limit than a username (a store's counter behind one address);
    # the first 98 failures are written as the throttle keeps them (each one costs a hash)
    assert wrong(api, "nobody-1").status_code == 401
    db_exec(db, "update signin_failures set failures = 98 where starts_with(key, 'addr:')")
    assert wrong(api, "nobody-99").status_code == 401
    assert wrong(api, "nobody-100").status_code == 401        # the 100th: the address locks
    assert wrong(api, "someone-else").status_code == 429


def test_an_address_limit_is_its_own_setting():
    s = settings_module.load(lambda name, default: {"SIGNIN_MAX_FAILURES_PER_ADDRESS": "7", **SECRET}.get(
        name, default))
    assert throttle.limit_for("addr:10.0.0.1", s) == 7 and throttle.limit_for("user:ann", s) == 5


def test_the_lockout_is_capped_and_settings_are_read():
    s = settings_module.load(lambda name, default: {"SIGNIN_MAX_FAILURES": "3", **SECRET,
                                                    "SIGNIN_WINDOW_SECONDS": "60"}.get(name, default))
    assert (s.signin_max_failures, s.signin_window_s, s.signin_max_lockout_s) == (3, 60, 3600)
    assert [throttle.lockout_s(n, s) for n in (3, 4, 5)] == [60, 120, 240]
    assert throttle.lockout_s(40, s) == 3600


def db_exec(db, sql):
    with db.engine.begin() as conn:
        conn.exec_driver_sql(sql)
