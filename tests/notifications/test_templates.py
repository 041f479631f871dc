"""Templates per chain and store, per language, checked when saved."""
import pytest

from chassis.errors import Forbidden, InvalidInput

from .conftest import (
    ALICE,
    ASSOCIATE_A,
    AUDITOR,
    CLIENTS,
    HQ,
    MANAGER_A,
    MANAGER_B,
    STORE_A,
    STORE_B,
    client_payload,
    work_order,
)

FRANCK = "f6000000-0000-4000-8000-000000000006"


@pytest.mark.parametrize("body, words", [
    ("Hi {first_name}, your {ring_size} ring", "unknown placeholder {ring_size}"),
    ("Hi {first_name.__class__}", "not a plain placeholder"),
    ("Total {amount:>10}", "not a plain placeholder"),
    ("Hi {first_name", "malformed braces"),
    ("Hi {}", "not a plain placeholder"),
])
def test_a_template_with_an_unknown_placeholder_is_refused(env, body, words):
    with pytest.raises(InvalidInput) as err:
        env.as_(HQ).save_template({"trigger": "ready_for_pickup", "channel": "sms", "body": body})
    assert words in " ".join(err.value.errors["body"])
    assert env.db.scalar("select count(*) from message_templates") == 0
    assert env.db.scalar("select count(*) from audit_log") == 0


def test_the_error_lists_what_the_trigger_offers(env):
    with pytest.raises(InvalidInput) as err:
        env.as_(HQ).save_template({"trigger": "estimate_ready", "channel": "email",
                                   "subject": "{shop}", "body": "{approval_url}"})
    assert list(err.value.errors) == ["subject"]
    assert "{approval_url}" in err.value.errors["subject"][0]
    with pytest.raises(InvalidInput) as err:
        env.as_(HQ).save_template({"trigger": "workorder_overdue", "channel": "sms", "body": "x"})
    assert "task" in err.value.errors["channel"][0]


def test_saved_templates_show_length_and_segments(env):
    plain = env.as_(HQ).save_template({"trigger": "ready_for_pickup", "channel": "sms",
                                       "body": "{first_name}, your {kind} is ready ~ {tracking_url}"})
    assert plain["sms"]["encoding"] == "GSM-7"
    assert plain["sample"] == ("Alexandra, your repair is ready ~ "
                               "https://shop.example.com/track/6f1c2a9e4b7d")
    assert plain["sms"]["units"] == plain["sms"]["length"] + 1    # ~ takes two septets
    emoji = env.as_(HQ).save_template({"trigger": "pickup_reminder", "channel": "sms",
                                       "body": "💍 " + "x" * 68})
    assert (emoji["sms"]["encoding"], emoji["sms"]["units"], emoji["sms"]["segments"]) == ("UCS-2", 71, 2)
    preview = env.as_(ASSOCIATE_A).preview_template({"trigger": "receipt", "body": "Merci {first_name} ✨"})
    assert preview["sms"]["encoding"] == "UCS-2" and preview["sample"] == "Merci Alexandra ✨"


def test_the_store_and_language_wording_is_used(env):
    env.send("crm", "client.created", client_payload(ALICE) | {
        "client_id": FRANCK, "first_name": "Franck", "phone": "+12125550106", "language": "fr-CA"})
    hq, manager = env.as_(HQ), env.as_(MANAGER_A)
    hq.save_template({"trigger": "ready_for_pickup", "channel": "sms", "language": "fr",
                      "body": "Bonjour {first_name}, votre bijou est prêt : {tracking_url}"})
    manager.save_template({"store_id": STORE_A, "trigger": "ready_for_pickup", "channel": "sms",
                           "language": "en", "body": "{first_name}: ready at Fifth Ave. {tracking_url}"})
    # Saving the same key again replaces it.
    manager.save_template({"store_id": STORE_A, "trigger": "ready_for_pickup", "channel": "sms",
                           "language": "en", "body": "{first_name}, ready at {store_name}. {tracking_url}"})
    assert env.db.scalar("select count(*) from message_templates") == 2
    ready = {"from_stage": "quality_check", "to_stage": "ready_for_pickup"}
    env.send("workorders", "workorder.stage_changed", work_order(client_id=FRANCK) | ready)
    env.send("workorders", "workorder.stage_changed", work_order(client_id=ALICE) | ready)
    sent = {m["To"]: m["Body"] for m in env.twilio.wait_for(2)}
    assert sent["+12125550106"].startswith("Bonjour Franck, votre bijou est prêt : https://")
    assert sent[CLIENTS[ALICE]["phone"]].startswith("Alice, ready at NYC Jewelers. https://")
    listed = manager.list_templates({"trigger": "ready_for_pickup"})["items"]
    assert sorted((t["store_id"] or "", t["language"]) for t in listed) == [("", "fr"), (STORE_A, "en")]
    assert env.as_(MANAGER_B).list_templates({})["items"][0]["language"] == "fr"
    actions = [r.action for r in env.db.all("select action from audit_log order by id")]
    assert actions == ["template_created", "template_created", "template_updated"]


def test_who_may_change_templates(env):
    body = {"trigger": "pickup_reminder", "channel": "sms", "body": "{first_name}"}
    with pytest.raises(Forbidden):
        env.as_(MANAGER_A).save_template(body)                       # the chain's: HQ only
    with pytest.raises(Forbidden):
        env.as_(MANAGER_A).save_template(body | {"store_id": STORE_B})
    with pytest.raises(Forbidden):
        env.as_(ASSOCIATE_A).save_template(body | {"store_id": STORE_A})
    with pytest.raises(Forbidden):
        env.as_(AUDITOR).save_template(body)
    saved = env.as_(MANAGER_A).save_template(body | {"store_id": STORE_A})
    with pytest.raises(Forbidden):
        env.as_(ASSOCIATE_A).delete_template(saved["id"])
    assert env.as_(MANAGER_A).delete_template(saved["id"])["deleted"] is True
    assert env.db.scalar("select count(*) from message_templates") == 0


def test_catalog_lists_triggers_placeholders_and_defaults(env):
    catalog = {t["trigger"]: t for t in env.as_(ASSOCIATE_A).template_catalog()}
    assert "approval_url" in catalog["estimate_ready"]["placeholders"]
    assert catalog["workorder_overdue"]["channels"] == ["task"]
    assert catalog["staff"]["editable"] is False
    assert any(d["channel"] == "email" and d["subject"] for d in catalog["receipt"]["defaults"])
