// The appointment book's clock: a store's wall-clock time to an instant and
// back, across a change of offset, and the week a day falls in (npm test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { addDays, instantOf, mondayOf, wallClock } from "../src/clients/zone.ts";

test("a time on the store's clock is the instant it means there", () => {
  assert.equal(instantOf("2026-12-05", "15:30", "America/New_York"), "2026-12-05T20:30:00.000Z"); // EST
  assert.equal(instantOf("2026-07-05", "15:30", "America/New_York"), "2026-07-05T19:30:00.000Z"); // EDT
  assert.equal(instantOf("2026-12-05", "15:30", "Europe/London"), "2026-12-05T15:30:00.000Z");
  assert.equal(instantOf("2026-03-08", "12:00", "America/New_York"), "2026-03-08T16:00:00.000Z"); // the day clocks go forward
  assert.equal(instantOf("2026-11-01", "12:00", "America/New_York"), "2026-11-01T17:00:00.000Z"); // and back
});

test("an instant shows as the store's day and time", () => {
  assert.deepEqual(wallClock("2026-12-06T02:15:00Z", "America/New_York"), { day: "2026-12-05", time: "21:15" });
  assert.deepEqual(wallClock("2026-12-06T02:15:00Z", "Europe/London"), { day: "2026-12-06", time: "02:15" });
});

test("weeks start on Monday", () => {
  assert.equal(mondayOf("2026-12-03"), "2026-11-30");
  assert.equal(mondayOf("2026-11-30"), "2026-11-30");
  assert.equal(mondayOf("2026-12-06"), "2026-11-30");
  assert.equal(addDays("2026-12-28", 7), "2027-01-04");
});
