// Money as the counter shows and reads it (node's test runner: npm test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { bpsOf, exponent, format, parseMajor } from "../src/money.ts";

test("minor units become major ones by the currency's exponent", () => {
  assert.equal(exponent("USD"), 2);
  assert.equal(exponent("JPY"), 0);
  assert.equal(exponent("KWD"), 3);
  assert.equal(format(161128, "USD", "en-US"), "$1,611.28");
  assert.equal(format(150000, "JPY", "en-US"), "¥150,000");
  assert.match(format(1500, "KWD", "en-US"), /^KWD\s1\.500$/); // a no-break space
});

test("what a person types is read in minor units, or refused", () => {
  assert.equal(parseMajor("1800", "USD"), 180000);
  assert.equal(parseMajor("1,800.5", "USD"), 180050);
  assert.equal(parseMajor("150000", "JPY"), 150000);
  assert.equal(parseMajor("1.5", "JPY"), null);
  assert.equal(parseMajor("1.005", "USD"), null);
  assert.equal(parseMajor("-3", "USD"), null);
  assert.equal(parseMajor("abc", "USD"), null);
});

test("tax is the store's basis points, rounded half up as the payments service does", () => {
  assert.equal(bpsOf(148000, 887), 13128);
  assert.equal(bpsOf(50, 1000), 5);
  assert.equal(bpsOf(5, 1000), 1); // 0.5 rounds up
  assert.equal(bpsOf(4, 1000), 0);
});
