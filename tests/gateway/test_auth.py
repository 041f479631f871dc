"""Sign-in, tokens, roles, and the first administrator."""
import base64
import json
import time

import jwt

from gateway.create_admin import main as create_admin_main

from .conftest import ADMIN, AUDIENCE, ISSUER, SECRET, store_body, token


def b64(data):
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_token_happy_path_and_me(api, admin, db):
    reply = api.post("/auth/token", {"username": "HQ.Admin", "password": ADMIN[1]})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], SECRET, algorithms=["HS256"], audience=AUDIENCE,
                        issuer=ISSUER)
    assert claims["role"] == "hq_admin" and claims["exp"] - claims["iat"] == 15 * 60
    me = api.as_(body["access_token"]).get("/me")
    assert me.status_code == 200
    assert me.json() == {"id": admin.id, "username": "hq.admin", "role": "hq_admin", "store_ids": []}
    assert me.headers["X-Request-ID"]


def test_wrong_password_and_unknown_user_get_the_same_401(api, admin):
    wrong = api.post("/auth/token", {"username": "hq.admin", "password": "not-the-password"})
    unknown = api.post("/auth/token", {"username": "nobody", "password": "not-the-password"})
    for reply in (wrong, unknown):
        assert reply.status_code == 401
        assert reply.headers["Content-Type"] == "application/problem+json"
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong username or password"
    missing = api.post("/auth/token", {"username": "hq.admin"})
    assert missing.status_code == 422 and set(missing.json()["errors"]) == {"password"}


def test_bad_tokens_are_refused_with_401(api, admin):
    good = admin.token
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged_claims = dict(claims, role="hq_admin", username="mallory")
    cases = {
        "no token": None,
        "not a bearer": "Basic aHE6aHE=",
        "garbage": "Bearer not.a.token",
        "expired": "Bearer " + token(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        "tampered payload": f"Bearer {header}.{b64(forged_claims)}.{signature}",
        "tampered signature": f"Bearer {header}.{payload}.{signature[:-4]}AAAA",
        "alg none": "Bearer {}.{}.".format(b64({"alg": "none", "typ": "JWT"}), b64(claims)),
        "HS512": "Bearer " + token(algorithm="HS512"),
        "RS256 header": "Bearer {}.{}.{}".format(b64({"alg": "RS256", "typ": "JWT"}), b64(claims),
                                                 signature),
        "wrong audience": "Bearer " + token(aud="someone-else"),
        "wrong issuer": "Bearer " + token(iss="someone-else"),
        "other secret": "Bearer " + token(secret="another-secret-0123456789-abcdefghijklmnop"),
        "no exp": "Bearer " + jwt.encode({k: v for k, v in claims.items() if k != "exp"}, SECRET,
                                         algorithm="HS256"),
        "unknown role": "Bearer " + token(role="superuser"),
        "sub not an id": "Bearer " + token(sub="admin"),
    }
    assert api.get("/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for name, value in cases.items():
        headers = {"Authorization": value} if value else {}
        reply = api.get("/me", headers=headers)
        assert reply.status_code == 401, (name, reply.text)
        assert reply.headers["Content-Type"] == "application/problem+json", name
        assert reply.headers["WWW-Authenticate"].startswith("Bearer"), name
        assert reply.json()["status"] == 401 and reply.json()["title"] == "Unauthorized", name
    # a forged token does not create anything either
    assert api.post("/stores", store_body("EVIL"), headers={
        "Authorization": cases["alg none"]}).status_code == 401
    assert admin.get("/stores").json()["items"] == []


def test_roles_are_checked_per_route(admin, db):
    store = admin.store("NYC")
    associate = admin.user("sales_associate", [store["id"]])
    auditor = admin.user("auditor")
    users = db.scalar("select count(*) from users")
    for client in (associate, auditor):
        reply = client.post("/users", {"username": "sneaky", "password": "0123456789ab",
                                       "role": "hq_admin"})
        assert reply.status_code == 403 and reply.json()["title"] == "Forbidden", reply.text
        assert client.post("/stores", store_body("SNK")).status_code == 403
        assert client.patch(f"/stores/{store['id']}", {"name": "x"}).status_code == 403
    assert "read-only" in auditor.post("/stores", store_body("SNK")).json()["detail"]
    assert db.scalar("select count(*) from users") == users
    assert db.scalar("select count(*) from stores") == 1
    assert associate.get("/audit").status_code == 403
    assert auditor.get("/audit").status_code == 200
    assert auditor.get("/stores").status_code == 200


def test_create_admin_runs_once(database, monkeypatch, capsys):
    url = database("gateway")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("ADMIN_USERNAME", "boss")
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    assert create_admin_main() == 2
    assert "ADMIN_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-enough-password")
    assert create_admin_main() == 0
    assert "created hq_admin 'boss'" in capsys.readouterr().out
    monkeypatch.setenv("ADMIN_USERNAME", "boss2")
    assert create_admin_main() == 0
    assert "no administrator created" in capsys.readouterr().out
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("select username, role from users")).all() == [("boss", "hq_admin")]
    engine.dispose()


def test_a_token_verified_once_is_still_refused_once_it_expires(monkeypatch):
    """Verified tokens are remembered (a terminal sends one all day), never
    past their expiry."""
    import uuid
    from types import SimpleNamespace

    from chassis.errors import ServiceError
    from gateway import auth

    settings = SimpleNamespace(jwt_secret=SECRET * 2, jwt_issuer=ISSUER, jwt_audience=AUDIENCE,
                               access_ttl_s=60, session_max_s=3600)
    user = SimpleNamespace(id=str(uuid.uuid4()), username="ada", role="hq_admin")
    issued = auth.issue_access_token(settings, user, uuid.uuid4(), 0, [])
    first = auth.read_token(settings, issued)
    assert first.identity.user_id == user.id and auth.read_token(settings, issued) is first
    later = time.time() + 60 + auth.LEEWAY_S + 1
    real_datetime = jwt.api_jwt.datetime

    class Later(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(auth.time, "time", lambda: later)       # the memory's clock
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)         # and PyJWT's
    try:
        auth.read_token(settings, issued)
    except ServiceError as exc:
        assert exc.status == 401 and "expired" in str(exc.detail or exc)
    else:
        raise AssertionError("an expired token was accepted from memory")
