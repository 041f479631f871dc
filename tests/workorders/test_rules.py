"""Pure rules without infrastructure: the stage graph, task pricing, photo
checks and the photo store."""
import base64
from types import SimpleNamespace

import pytest
from hypothesis import given, strategies as st

from chassis.storage import LocalFolder
from contracts.events.workorders import STAGES
from services.workorders import photos, pricing, stages
from services.workorders.photos import PhotoRejected, Staging, decode, sniff
from services.workorders.pricing import ListPrice

from .conftest import image

KINDS = ("repair", "resize", "engraving", "custom", "appraisal")


def reachable(kind, start="received"):
    seen, todo = {start}, [start]
    while todo:
        for nxt in stages.next_stages(kind, todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("kind", KINDS)
def test_every_stage_of_a_flow_is_reachable_and_ends_closed(kind):
    assert reachable(kind) == set(stages.stages_of(kind))
    for stage in stages.stages_of(kind):
        assert reachable(kind, stage) & set(stages.CLOSED), stage
    for closed in stages.CLOSED:
        assert stages.next_stages(kind, closed) == []
    assert ("design" in stages.stages_of(kind)) == (kind == "custom")
    assert "in_progress" in stages.stages_of(kind) or kind == "custom"


@given(kind=st.sampled_from(KINDS), frm=st.sampled_from(STAGES), to=st.sampled_from(STAGES))
def test_refusal_agrees_with_the_graph(kind, frm, to):
    reason = stages.refusal(kind, frm, to)
    assert (reason is None) == stages.allowed(kind, frm, to)
    if frm in stages.stages_of(kind) and frm not in stages.CLOSED and frm != "ready_for_pickup" \
            and frm != to:
        assert stages.allowed(kind, frm, "cancelled")   # cancellable until the piece is ready
    if to == "picked_up":
        assert (reason is None) == (frm == "ready_for_pickup")
    if stages.allowed(kind, frm, to) and to in ("in_progress", "design"):
        assert frm in ("approved", "quality_check", "design_approved")   # never before approval


def test_guards_estimate_balance_and_appraisal():
    job = SimpleNamespace(kind="repair", stage="received", estimate_required=True, estimate_amount=None)
    assert stages.guard(job, "approved", balance_due=0, has_appraisal=False)
    job.estimate_required = False
    assert stages.guard(job, "approved", balance_due=0, has_appraisal=False) is None
    assert stages.guard(job, "awaiting_approval", balance_due=0, has_appraisal=False)
    job.stage = "ready_for_pickup"
    assert "100" in stages.guard(job, "picked_up", balance_due=100, has_appraisal=False)
    assert stages.guard(job, "picked_up", balance_due=0, has_appraisal=False) is None
    job.kind, job.stage = "appraisal", "in_progress"
    assert stages.guard(job, "quality_check", balance_due=0, has_appraisal=False)
    assert stages.guard(job, "quality_check", balance_due=0, has_appraisal=True) is None


LIST = {"prong_retip": ListPrice("prong_retip", "Prong retip", "prong", 3000),
        "engraving_letter": ListPrice("engraving_letter", "Engraving", "letter", 150),
        "old": ListPrice("old", "Retired", "each", 10, active=False)}


@given(st.lists(st.one_of(
    st.fixed_dictionaries({"code": st.just("prong_retip"),
                           "quantity": st.one_of(st.none(), st.integers(1, 1000))}),
    st.fixed_dictionaries({"code": st.just("engraving_letter"),
                           "text": st.text(alphabet="AB &1", min_size=1, max_size=40)}),
    st.fixed_dictionaries({"description": st.just("free"),
                           "price": st.one_of(st.none(), st.fixed_dictionaries(
                               {"amount": st.integers(0, 10**9), "currency": st.just("USD")}))}),
), max_size=20))
def test_tasks_are_priced_by_list_and_letters_and_total_adds_up(tasks):
    priced, errors = pricing.price_tasks(tasks, LIST, "USD")
    blank = [n for n, t in enumerate(tasks) if t.get("code") == "engraving_letter"
             and not t["text"].strip()]
    assert set(errors) == {f"tasks.{n}.text" for n in blank}
    assert len(priced) == len(tasks) - len(blank)
    for task in priced:
        if task["code"] == "prong_retip":
            assert task["amount"] == 3000 * task["quantity"]
        if task["code"] == "engraving_letter":
            assert task["quantity"] == len(task["text"].replace(" ", ""))
            assert task["amount"] == 150 * task["quantity"]
    assert pricing.tasks_total(priced) == sum(t["amount"] or 0 for t in priced)
    required, problem = pricing.needs_estimate("repair", priced)
    assert required == (not priced or any(t["amount"] is None for t in priced)) and problem is None


def test_unknown_retired_and_foreign_currency_tasks_are_refused():
    _, errors = pricing.price_tasks([{"code": "nope"}, {"code": "old"},
                                     {"description": "x", "price": {"amount": 1, "currency": "EUR"}}],
                                    LIST, "USD")
    assert set(errors) == {"tasks.0.code", "tasks.1.code", "tasks.2.price.currency"}
    assert pricing.needs_estimate("custom", [], False)[1]
    assert pricing.balance(1000, 400, 700) == 0 and pricing.balance(1000, 400, 0) == 600


def test_photos_are_known_by_their_bytes_and_their_size():
    assert sniff(image("JPEG")) == "image/jpeg"
    assert sniff(image("PNG")) == "image/png"
    assert sniff(image("WEBP")) == "image/webp"
    assert sniff(image("GIF")) is None and sniff(b"") is None
    assert sniff(b"RIFF\0\0\0\0WAVEfmt ") is None
    png = image("PNG")
    assert decode(base64.b64encode(png).decode(), len(png)) == (png, "image/png")
    for content, limit in ((png, len(png) - 1), (b"hello", 100), (b"", 100)):
        with pytest.raises(PhotoRejected):
            decode(base64.b64encode(content).decode(), limit)
    with pytest.raises(PhotoRejected):
        decode("A" * 10_000, 100)   # refused before decoding


def test_staging_deletes_what_a_failed_request_wrote(tmp_path):
    store = LocalFolder(str(tmp_path))
    staging = Staging(store, 1000)
    kept = staging.put(b"\xff\xd8\xff data", "image/jpeg")
    assert store.get(kept.key) == b"\xff\xd8\xff data" and kept.size_bytes == 8
    staging.written = []
    dropped = staging.put(b"\x89PNG\r\n\x1a\n", "image/png")
    staging.discard()
    with pytest.raises(KeyError):
        store.get(dropped.key)
    assert store.get(kept.key)
    for key in ("../etc/passwd", "ab/../../x.jpg", "/abs.jpg"):
        with pytest.raises(ValueError):
            store.get(key)


def test_photo_settings_are_loaded_from_settings_with_their_defaults():
    given = {"PHOTO_MAX_BYTES": "65536"}
    assert photos.load(lambda name, default: given.get(name, default)) == photos.Settings(
        photo_max_bytes=65536)
    assert photos.load(lambda name, default: default) == photos.Settings(
        photo_max_bytes=15 * 1024 * 1024)
