"""The request hash kept with an Idempotency-Key is keyed: a body holding a
password (``POST /users``) cannot be guessed from a copy of the database."""
import hashlib
import json

from gateway.idempotency import body_hash

BODY = {"username": "m.rossi", "password": "velvet-tray-showcase-4", "role": "sales_associate"}


def test_the_hash_is_keyed_and_not_the_bodys_plain_digest():
    canonical = json.dumps(BODY, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    plain = hashlib.sha256(canonical.encode()).hexdigest()
    assert body_hash(BODY, "secret-a") != plain
    assert body_hash(BODY, "secret-a") != body_hash(BODY, "secret-b")


def test_the_same_body_in_any_key_order_hashes_alike():
    again = dict(reversed(list(BODY.items())))
    assert body_hash(again, "s") == body_hash(BODY, "s")
    assert body_hash(BODY | {"password": "another-password-9"}, "s") != body_hash(BODY, "s")
