"""User administration's pure rules (gateway/users.py): the temporary
password, the guard that keeps an active hq_admin, the audit's words."""
from types import SimpleNamespace

import pytest

from chassis.errors import Conflict
from gateway import passwords
from gateway.users import admin_guard, describe_change, temporary_password


def user(role="hq_admin", active=True, id="u1"):
    return SimpleNamespace(id=id, role=role, active=active)


def test_a_temporary_password_meets_the_policy_and_is_never_the_same():
    made = {temporary_password("mia.manager") for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert passwords.problems(password, "mia.manager") == []
        assert len(password) >= passwords.MIN_LENGTH
        assert not set(password) & set("0O1lI")          # read out or typed by hand


@pytest.mark.parametrize("new_role, new_active, others, what", [
    ("store_manager", True, 0, "demote the last active hq_admin"),
    ("hq_admin", False, 0, "deactivate the last active hq_admin"),
])
def test_the_last_active_hq_admin_stays(new_role, new_active, others, what):
    with pytest.raises(Conflict, match=what):
        admin_guard("someone-else", user(), new_role, new_active, others)
    admin_guard("someone-else", user(), new_role, new_active, 1)      # another one remains


@pytest.mark.parametrize("new_role, new_active, what", [
    ("auditor", True, "demote yourself"), ("hq_admin", False, "deactivate yourself")])
def test_an_hq_admin_never_demotes_or_deactivates_themself(new_role, new_active, what):
    with pytest.raises(Conflict, match=what):
        admin_guard("u1", user(id="u1"), new_role, new_active, 5)


def test_changes_that_keep_an_active_admin_or_touch_others_pass():
    admin_guard("u1", user(id="u1"), "hq_admin", True, 0)        # own stores changed, say
    admin_guard("u1", user("store_manager", id="u2"), "auditor", True, 0)
    admin_guard("u1", user(active=False, id="u2"), "auditor", False, 0)   # already out


def test_the_audit_says_what_changed():
    assert describe_change("sales_associate", "store_manager", ["a"], ["a"]) == \
        "role sales_associate -> store_manager"
    assert describe_change("store_manager", "store_manager", ["a", "b"], ["b", "c"]) == \
        "stores added c; stores removed a"
    assert describe_change("auditor", "auditor", [], []) == ""
