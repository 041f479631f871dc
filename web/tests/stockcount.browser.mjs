// Stock at a store of its own (made for this test): two pieces received
// through the receiving form and their labels as one PDF, a third by the API;
// then a count by scanning: two of them and one piece of another store. The
// lists of pieces not scanned yet and of unexpected tags follow each scan;
// closing the count records one missing and one unexpected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, admin, axe, pickStore, section, signIn, withPage } from "./support.mjs";

async function storeOfItsOwn(api) {
  const code = `CNT${crypto.randomUUID().slice(0, 5).toUpperCase()}`;
  const store = await api.call("POST", "/stores", {
    code, name: "Count Lane", currency: "USD", timezone: "America/New_York", tax_rate_bps: 0,
  }, 201);
  return store;
}

const piece = (store, description) => ({
  store_id: store.id, category: "ring", description,
  metal: { type: "silver", weight_g: "4.000" }, price: { amount: 12500, currency: "USD" },
});

async function receive(api, body) {
  // the new store reaches inventory through an event: a moment after it is made
  for (let i = 0; ; i++) {
    const response = await api.call("POST", "/items", body, undefined, { "Idempotency-Key": crypto.randomUUID() });
    if (response?.id) return response;
    if (i > 40) assert.fail(`could not receive a piece: ${JSON.stringify(response)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("a count by scanning: one missing, one unexpected, the lists live", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const started = Date.now();
    const api = await admin();
    const store = await storeOfItsOwn(api);
    const third = await receive(api, piece(store, "Count test signet"));
    const [elsewhere] = await api.piecesIn(await api.store("NYC"));
    assert.ok(elsewhere, "no demo piece at NYC");

    await signIn(page, ADMIN);
    await pickStore(page, store);
    await section(page, "Stock");

    // receive two pieces through the form, then their labels at once
    const tabs = page.getByRole("navigation", { name: "Stock" });
    await tabs.getByRole("link", { name: "Receive" }).click();
    for (const [description, price] of [["Count test band", "125"], ["Count test hoops", "99.50"]]) {
      await page.getByLabel("Description").fill(description);
      await page.getByLabel("Weight (g)").fill("3.5");
      await page.getByLabel(/^Price/).fill(price);
      await page.getByLabel(/^Price/).press("Enter");
      await page.getByRole("cell", { name: description }).waitFor();
    }
    const received = page.getByRole("table", { name: "Received pieces" });
    const tags = (await received.locator("td.tag").allTextContents()).map((t) => t.trim());
    assert.equal(tags.length, 2);
    assert.ok(await received.getByText("$99.50").isVisible());
    const labels = page.waitForResponse((r) => r.url().includes("/labels.pdf"));
    await page.getByRole("button", { name: "Labels for 2 pieces" }).click();
    const pdf = await labels;
    assert.equal(pdf.status(), 200);
    assert.equal(pdf.headers()["content-type"], "application/pdf");
    assert.match(decodeURIComponent(pdf.url()), new RegExp(`item_ids=[^&]*,`));
    await page.getByRole("link", { name: "open it to print" }).waitFor();
    const saved = page.waitForEvent("download");
    await page.getByRole("link", { name: "save it" }).click();
    assert.match((await saved).suggestedFilename(), /^tags-CNT.*\.pdf$/);
    await shot("received-batch-and-labels");

    // the count
    await tabs.getByRole("link", { name: "Stock count" }).click();
    await page.getByRole("button", { name: "Start a count" }).click();
    const notYet = page.getByRole("list", { name: /Not scanned yet/ });
    const unexpected = page.getByRole("region", { name: /Unexpected/ }).or(page.locator(".unexpected"));
    for (const tag of [...tags, third.tag]) await notYet.getByText(tag).waitFor();
    await shot("count-opened");

    const scan = page.getByLabel("Scan a tag");
    await scan.fill(tags[0]);
    await scan.press("Enter");
    await notYet.getByText(tags[0]).waitFor({ state: "detached" });
    await scan.fill(tags[1].toLowerCase()); // a typed tag in lower case is the same tag
    await scan.press("Enter");
    await notYet.getByText(tags[1]).waitFor({ state: "detached" });
    await scan.fill(elsewhere.tag);
    await scan.press("Enter");
    await unexpected.getByText(elsewhere.tag).waitFor();
    assert.deepEqual((await notYet.locator("li").allTextContents()).map((t) => t.slice(0, third.tag.length)), [third.tag]);
    assert.equal(await page.locator('[data-figure="matched"]').textContent(), "2");
    assert.equal(await page.locator('[data-figure="unexpected"]').textContent(), "1");
    assert.equal(await scan.evaluate((e) => e === document.activeElement), true, "the scan field keeps the focus");
    await shot("count-scanned");
    assert.deepEqual(await axe(page), []);

    await page.getByRole("button", { name: "Close the count" }).click();
    const result = page.getByRole("status").filter({ hasText: "Count closed" });
    await result.waitFor();
    assert.match(await result.textContent(), new RegExp(`Missing \\(1\\): ${third.tag}`));
    assert.match(await result.textContent(), new RegExp(`Unexpected \\(1\\): ${elsewhere.tag}`));
    await shot("count-closed");
    assert.deepEqual(await axe(page), []);

    const closed = await api.get(`/stock-counts?store_id=${store.id}&status=closed`);
    assert.deepEqual(closed.items[0].missing, [third.tag]);
    assert.deepEqual(closed.items[0].unexpected, [elsewhere.tag]);
    assert.deepEqual(problems, []);
    console.log(`stock count scene: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }));
