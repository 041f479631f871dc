// A sales associate sees no manager's action: no HQ or Admin section (not even
// typed in the address bar), no tax exemption at the counter, and a discount
// beyond their limit refused by the server with its message next to the line;
// from then on the console offers no more than that limit, and a discount
// within it sells to a client added at the counter.
import assert from "node:assert/strict";
import { test } from "node:test";
import { admin, axe, signIn, withPage } from "./support.mjs";

test("an associate: no manager's section or action, a discount beyond the limit refused at the line", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    const [item] = await api.newPieces(store, 1);
    const seller = await api.user("sales_associate", [store]);

    await signIn(page, seller);
    const sections = page.getByRole("navigation", { name: "Sections" }).getByRole("link");
    assert.deepEqual(await sections.allTextContents(), ["Counter", "Bench", "Clients", "Stock"]);
    // typed in the address bar: still the counter, no admin screen
    for (const hash of ["#/admin", "#/hq"]) {
      await page.evaluate((h) => { window.location.hash = h; }, hash); // as typed: only the hash changes
      await page.getByRole("link", { name: "Counter", exact: true }).and(page.locator("[aria-current=page]")).waitFor();
      await page.getByLabel("Tag", { exact: true }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Admin", exact: true }).count(), 0);
      assert.equal(await page.getByRole("link", { name: "HQ", exact: true }).count(), 0);
    }
    await shot("no-admin");

    const tag = page.getByLabel("Tag", { exact: true });
    await tag.fill(item.tag);
    await tag.press("Enter");
    await page.getByRole("cell", { name: item.tag, exact: true }).waitFor();
    assert.equal(await page.getByLabel("Tax exempt").count(), 0, "an associate is offered a tax exemption");

    // 30% off: the server keeps more than the associate's limit for a manager
    await page.getByRole("button", { name: `Discount ${item.tag}` }).click();
    await page.getByLabel(`Discount on ${item.tag}`).fill("30%");
    await page.getByLabel("Reason").fill("an old client's birthday");
    await page.getByLabel("Reason").press("Enter");
    await page.getByRole("cell", { name: /30% · an old client's birthday/ }).waitFor();
    await page.getByLabel("Cash received").press("Enter"); // the exact amount in cash
    const refusal = page.locator(".cart tr.line-error").getByRole("alert");
    await refusal.filter({ hasText: /a discount above [\d.]+% needs a store manager/ }).waitFor();
    const limit = /above ([\d.]+)%/.exec(await refusal.textContent())[1];
    problems.length = 0; // the browser logs the expected 403
    assert.deepEqual(await axe(page), [], "the refused line has serious or critical accessibility violations");
    await shot("discount-refused");
    // the piece is still for sale: the refusal took nothing
    assert.equal((await api.get(`/items/${item.id}`)).status, "in_stock");

    // the limit the server named is the most the console offers now
    await page.getByRole("button", { name: `Discount ${item.tag}` }).click();
    const discount = page.getByLabel(`Discount on ${item.tag}`);
    assert.equal(await discount.getAttribute("placeholder"), `up to ${limit}%`);
    await discount.fill(`${Number(limit) + 5}%`);
    await discount.press("Enter");
    await page.getByRole("alert").filter({ hasText: `Your role may discount up to ${limit}%` }).waitFor();
    await shot("limit-offered");
    await discount.fill("10%");
    await discount.press("Enter");
    await page.getByRole("cell", { name: /10% · an old client's birthday/ }).waitFor();
    assert.equal(await page.locator(".cart tr.line-error").count(), 0, "the refusal stays after the change");
    // a new client, added at the counter with their consent to e-mail, attached to the sale
    const last = `Counter${crypto.randomUUID().slice(0, 6).replace(/\d/g, "x")}`;
    await page.getByRole("button", { name: "New client" }).click();
    await page.getByLabel("First name").fill("Ottilie");
    await page.getByLabel("Last name").fill(last);
    await page.getByLabel("E-mail", { exact: true }).fill(`${last.toLowerCase()}@example.com`);
    await page.getByLabel("May e-mail").check();
    await page.getByRole("button", { name: "Add and attach" }).click();
    await page.getByRole("button", { name: "Change client" }).waitFor();
    await page.getByText("Receipt by e-mail").waitFor();
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("heading", { name: /Sale .* completed/ }).waitFor();
    await page.getByText(`· Ottilie ${last}`).waitFor();
    await shot("sold-within-limit");

    const sales = await api.get(`/sales?store_id=${store.id}&limit=5`);
    const sold = sales.items.find((s) => s.lines.some((l) => l.item_id === item.id));
    assert.equal(sold?.lines[0].discount.amount.amount, Math.floor((item.price.amount * 1000 + 5000) / 10000));
    const client = await api.get(`/clients/${sold.client_id}`);
    assert.equal(client.last_name, last);
    assert.equal(client.consent.email, true);
    assert.deepEqual(problems, []);
  }));
