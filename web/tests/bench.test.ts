// The bench's workflow as the board offers it (node's test runner: npm test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { byNumber, cardMoves, label } from "../src/bench/stages.ts";

test("a card offers the next bench stage, and back to the bench after a failed check", () => {
  assert.deepEqual(cardMoves({ kind: "repair", stage: "approved" }), ["in_progress"]);
  assert.deepEqual(cardMoves({ kind: "resize", stage: "in_progress" }), ["quality_check"]);
  assert.deepEqual(cardMoves({ kind: "engraving", stage: "quality_check" }), ["ready_for_pickup", "in_progress"]);
});

test("custom work goes through design, casting and setting instead", () => {
  assert.deepEqual(cardMoves({ kind: "custom", stage: "approved" }), ["design"]);
  assert.deepEqual(cardMoves({ kind: "custom", stage: "design_approved" }), ["casting", "design"]);
  assert.deepEqual(cardMoves({ kind: "custom", stage: "quality_check" }), ["ready_for_pickup", "setting"]);
});

test("no bare move where a command or the pickup decides", () => {
  for (const stage of ["received", "awaiting_approval", "ready_for_pickup", "picked_up", "cancelled"]) {
    assert.deepEqual(cardMoves({ kind: "repair", stage }), [], stage);
    assert.deepEqual(cardMoves({ kind: "custom", stage }), [], stage);
  }
});

test("a scanned number finds its job whatever the case and spaces", () => {
  const jobs = [{ number: "NYC-000012" }, { number: "NYC-000120" }];
  assert.equal(byNumber(jobs, " nyc-000120\n"), jobs[1]);
  assert.equal(byNumber(jobs, "NYC-00012"), undefined);
  assert.equal(byNumber(jobs, "  "), undefined);
});

test("stages read as words", () => {
  assert.equal(label("in_progress"), "At the bench");
  assert.equal(label("some_new_stage"), "some new stage");
});
