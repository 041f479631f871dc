// HQ's conversion into the chain's currency and a memo's clock (npm test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { convert, daysAgo } from "../src/hq/figures.ts";
import { clockOf, daysBetween } from "../src/stock/clock.ts";

test("a store's money in the chain's currency, by the currencies' exponents", () => {
  const rates = [{ currency: "GBP", rate: "1.27" }, { currency: "JPY", rate: "0.0067" }];
  assert.equal(convert(10000, "USD", "USD", rates), 10000);
  assert.equal(convert(10000, "GBP", "USD", rates), 12700);
  assert.equal(convert(150000, "JPY", "USD", rates), 100500);
  assert.equal(convert(100, "EUR", "USD", rates), null);
});

test("the reports' first day, counted back in UTC days", () => {
  assert.equal(daysAgo(13, new Date("2026-03-05T23:30:00Z")), "2026-02-20");
  assert.equal(daysAgo(0, new Date("2026-12-31T00:10:00Z")), "2026-12-31");
});

test("a memo's clock says days left or overdue in words, with a mark", () => {
  assert.equal(daysBetween("2026-02-27", "2026-03-02"), 3);
  assert.deepEqual(clockOf("2026-12-10", "2026-12-03"), { text: "7 days left", kind: "soon" });
  assert.deepEqual(clockOf("2026-12-31", "2026-12-03"), { text: "28 days left", kind: "later" });
  assert.deepEqual(clockOf("2026-12-04", "2026-12-03"), { text: "1 day left", kind: "soon" });
  assert.deepEqual(clockOf("2026-12-03", "2026-12-03"), { text: "Due today", kind: "soon" });
  assert.deepEqual(clockOf("2026-12-01", "2026-12-03"), { text: "⚠ OVERDUE by 2 days", kind: "overdue" });
  assert.deepEqual(clockOf("2026-12-02", "2026-12-03"), { text: "⚠ OVERDUE by 1 day", kind: "overdue" });
  assert.equal(clockOf("2026-12-01", "2026-12-03", false).text, "returned");
});
