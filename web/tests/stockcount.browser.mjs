// Stock at a store of its own (made for this test): two pieces received
// through the receiving form and their labels as one PDF, a third by the API;
// then a count by scanning: two of them and one piece of another store. The
// lists of pieces not scanned yet and of unexpected tags follow each scan;
// closing the count records one missing and one unexpected.
// Then pieces between stores and on memo: a store of its own sends a piece to
// NYC (scanned into the list, in transit), NYC receives it; another piece goes
// out on memo with its clock in words, and comes back.
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
    const [elsewhere] = await api.newPieces(await api.store("NYC"), 1);

    await signIn(page, ADMIN);
    await pickStore(page, store);
    await section(page, "Stock");

    // receive two pieces through the form, then their labels at once
    const tabs = page.getByRole("navigation", { name: "Stock" });
    await tabs.getByRole("link", { name: "Receive" }).click();
    // the API's answer about a field is shown next to that field
    await page.getByLabel("Description").fill("Count test band");
    await page.getByLabel(/^Price/).fill("125");
    await page.getByLabel(/^Price/).press("Enter");
    await page.locator("label", { hasText: "Weight (g)" }).getByRole("alert").waitFor();
    await shot("received-field-error");
    problems.length = 0; // the browser logs that expected 422
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

async function storeWithPieces(api, n) {
  const code = `TRF${crypto.randomUUID().slice(0, 5).toUpperCase()}`;
  const store = await api.call("POST", "/stores", {
    code, name: "Transfer Row", currency: "USD", timezone: "America/Chicago", tax_rate_bps: 0,
  }, 201);
  const pieces = [];
  for (let i = 0; i < n; i++) {
    // the new store reaches inventory through an event: a moment after it is made
    for (let tries = 0; ; tries++) {
      const body = { store_id: store.id, category: "bracelet", description: `Flow test bracelet ${i + 1}`,
        metal: { type: "gold", karat: 14, weight_g: "6.100" }, price: { amount: 89000, currency: "USD" } };
      const made = await api.call("POST", "/items", body, undefined, { "Idempotency-Key": crypto.randomUUID() });
      if (made?.id) { pieces.push(made); break; }
      if (tries > 40) assert.fail(`could not receive a piece: ${JSON.stringify(made)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { store, pieces };
}

test("a transfer out and in, a memo out on its clock and back", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const started = Date.now();
    const api = await admin();
    const { store, pieces: [sent, lent] } = await storeWithPieces(api, 2);
    const nyc = await api.store("NYC");

    await signIn(page, ADMIN);
    await pickStore(page, store);
    await section(page, "Stock");
    const tabs = page.getByRole("navigation", { name: "Stock" });
    await tabs.getByRole("link", { name: "Transfers" }).click();
    await page.getByLabel("Tag").fill("NOT-A-TAG");
    await page.getByLabel("Tag").press("Enter");
    await page.getByRole("alert").filter({ hasText: "No piece has the tag NOT-A-TAG" }).waitFor();
    problems.length = 0; // the browser logs that expected 404
    await page.getByLabel("Tag").fill(sent.tag);
    await page.getByLabel("Tag").press("Enter");
    await page.getByRole("cell", { name: sent.tag, exact: true }).waitFor();
    await page.getByLabel("Send to").selectOption({ label: `${nyc.code} · ${nyc.name}` });
    await page.getByRole("button", { name: "Send 1 piece" }).click();
    await page.getByRole("status").filter({ hasText: `1 piece sent to ${nyc.code}` }).waitFor();
    const out = page.getByRole("table", { name: "Transfers going out" });
    await out.getByRole("cell", { name: "in transit" }).waitFor();
    await shot("transfer-sent");
    assert.equal((await api.get(`/items/${sent.id}`)).status, "in_transit");

    await pickStore(page, nyc);
    await section(page, "Stock");
    await page.getByRole("navigation", { name: "Stock" }).getByRole("link", { name: "Transfers" }).click();
    const incoming = page.getByRole("table", { name: "Transfers coming in" });
    const row = incoming.getByRole("row").filter({ hasText: store.code });
    await row.getByRole("button", { name: "Receive" }).click();
    await row.getByRole("cell", { name: /^received/ }).waitFor();
    assert.equal((await api.get(`/items/${sent.id}`)).store_id, nyc.id);
    assert.deepEqual(await axe(page), []);

    await pickStore(page, store);
    await section(page, "Stock");
    await page.getByRole("navigation", { name: "Stock" }).getByRole("link", { name: "Memos" }).click();
    await page.getByLabel("Tag").fill(lent.tag);
    await page.getByLabel("Tag").press("Enter");
    await page.getByRole("cell", { name: lent.tag, exact: true }).waitFor();
    const due = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("Due date").fill(due);
    await page.getByLabel(/^With/).fill("Atelier Fontaine");
    await page.getByRole("button", { name: "Make the memo" }).click();
    const memos = page.getByRole("table", { name: "Open memos" });
    const memo = memos.getByRole("row").filter({ hasText: "Atelier Fontaine" });
    await memo.getByText(/^[45] days left$/).waitFor();
    assert.equal((await api.get(`/items/${lent.id}`)).status, "on_memo_out");
    await shot("memo-out-on-its-clock");
    assert.deepEqual(await axe(page), []);
    await memo.getByRole("button", { name: "Back in (Atelier Fontaine)" }).click();
    await page.getByRole("status").filter({ hasText: "is returned" }).waitFor();
    assert.equal((await api.get(`/items/${lent.id}`)).status, "in_stock");
    assert.deepEqual(problems, []);
    console.log(`stock flow scene: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }));
