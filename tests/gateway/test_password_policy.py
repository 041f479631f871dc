"""Issue 17: ``password12`` and ten spaces were accepted as passwords. The
policy (gateway/passwords.py) holds wherever a password is set."""
import pytest

from gateway import passwords
from gateway.create_admin import create_first_admin


@pytest.mark.parametrize("password, why", [
    ("password12", "must be at least 12 characters long"),
    (" " * 10, "must not be only whitespace"),
    (" " * 16, "must not be only whitespace"),
    ("Password1234", "is one of the most common passwords"),
    ("qwertyuiop123", "is one of the most common passwords"),
    ("  Iloveyou123!  ", "is one of the most common passwords"),
    ("the-Mia.Ruiz-secret", "must not contain the username"),
])
def test_weak_passwords_get_422_on_password(admin, password, why):
    reply = admin.post("/users", {"username": "mia.ruiz", "password": password, "role": "hq_admin"})
    assert reply.status_code == 422, reply.text
    assert set(reply.json()["errors"]) == {"password"}
    assert why in reply.json()["errors"]["password"]


def test_a_long_uncommon_password_is_accepted(admin):
    reply = admin.post("/users", {"username": "mia.ruiz", "password": "plum-anvil-orbit-42",
                                  "role": "hq_admin"})
    assert reply.status_code == 201, reply.text


def test_the_first_admin_obeys_the_policy_too(db):
    from chassis.errors import InvalidInput
    with pytest.raises(InvalidInput) as refused:
        create_first_admin(db.url, "hq.admin", "password12")
    assert set(refused.value.errors) == {"password"}


def test_the_shipped_list_is_large_and_lower_case():
    common = passwords.common_passwords()
    assert len(common) >= 100_000 and all(p == p.lower() for p in common)
    assert {"123456", "password", "qwerty123", "iloveyou"} <= common
    # long ones the length rule alone lets through
    assert {"123qweasdzxc", "1qaz2wsx3edc", "qwerty123456", "leavemealone"} <= common
    assert not any(p.startswith("#") or p != p.strip() for p in common)


def test_a_long_common_password_is_refused():
    assert passwords.problems("1qaz2wsx3edc") == ["is one of the most common passwords"]
    assert passwords.problems("QwertyQwerty") == ["is one of the most common passwords"]
    assert passwords.problems("velvet-tray-showcase-4") == []
