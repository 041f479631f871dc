// The counter's other tabs, as a sales associate of MIA: open a cash drawer
// with a float and put cash in; hold a piece for a client found with a typo and
// release it; open a layaway and pay it off (it becomes a sale), cancel another
// (money back by the store's policy); a refund above the associate's limit refused; return a piece
// of a sale found by its receipt number; close the drawer counted by
// denomination with the over/short shown. axe on every tab.
import assert from "node:assert/strict";
import { test } from "node:test";
import { admin, axe, signIn, withPage } from "./support.mjs";

const letters = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => "bcdfghjklmnpqrstvwz"[b % 19]).join("");
const bps = (amount, rate) => Math.floor((amount * rate + 5000) / 10000);
const usd = (minor) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);

test("returns, holds, layaways and the cash drawer at the counter", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("MIA");
    const last = `Vandermolen${letters(4)}`;
    const piece = (category, description, amount, metal) => api.post("/items", {
      store_id: store.id, category, description, metal, price: { amount, currency: "USD" } }, 201);
    const silver = { type: "silver", fineness: 925, weight_g: "3.100" };
    const price = 15000;
    // the scene set up at once: a seller of MIA, a client, five pieces
    const [seller, client, held, laidAway, sold, dear, given] = await Promise.all([
      api.user("sales_associate", [store]),
      api.post("/clients", { first_name: "Odalys", last_name: last, phone: "+1 305 555 0142", home_store_id: store.id }, 201),
      piece("ring", "Counter test band 1", price, silver),
      piece("ring", "Counter test band 2", price, silver),
      piece("ring", "Counter test band 3", price, silver),
      piece("necklace", "Counter test riviera", 120000, { type: "gold", karat: 18, weight_g: "12.400" }),
      piece("pendant", "Counter test pendant", 9000, silver),
    ]);
    const total = price + bps(price, store.tax_rate_bps);
    const cash = (amount) => [{ method: "cash", amount: { amount, currency: "USD" } }];
    const [sale, dearSale, toCancel] = await Promise.all([
      api.post("/sales", { store_id: store.id, client_id: client.id, lines: [{ item_id: sold.id }], tenders: cash(total) }, 201),
      api.post("/sales", { store_id: store.id, lines: [{ item_id: dear.id }], tenders: cash(120000 + bps(120000, store.tax_rate_bps)) }, 201),
      api.post("/layaways", { store_id: store.id, client_id: client.id, item_ids: [given.id], installments: 3,
        deposit: cash(3000)[0] }, 201),
    ]);
    assert.equal(sale.status, "completed");
    assert.equal(toCancel.status, "active");
    const register = `T${letters(5)}`.toUpperCase();
    const tab = async (name) => {
      await page.getByRole("navigation", { name: "Counter" }).getByRole("link", { name, exact: true }).click();
    };
    const clean = async (where) => assert.deepEqual(await axe(page), [], `axe on ${where}`);

    await signIn(page, seller);
    // the cash drawer: a float, then cash in by hand
    await tab("Cash drawer");
    await page.getByText(/^(No drawer is open today\.|Open today: .*)$/).waitFor(); // the day's drawers are in
    await page.getByLabel("Register", { exact: true }).fill(register);
    await page.getByRole("heading", { name: `Open drawer ${register}` }).waitFor();
    await page.getByLabel("Float", { exact: true }).fill("200");
    await page.getByLabel("Float", { exact: true }).press("Enter");
    await page.getByRole("heading", { name: `Drawer ${register} · open` }).waitFor();
    await page.getByLabel("Amount", { exact: true }).fill("50");
    await page.getByLabel("Reason", { exact: true }).fill("change from the bank");
    await page.getByLabel("Reason", { exact: true }).press("Enter");
    await page.locator(".sums dd.total").filter({ hasText: "$250.00" }).waitFor();
    await clean("the drawer");
    await shot("drawer-open");

    // holds: scan a tag, find the client with a typo, hold, release
    await tab("Holds");
    await page.getByLabel("Tag", { exact: true }).fill(held.tag);
    await page.getByLabel("Tag", { exact: true }).press("Enter");
    // keyboard only: the client field has the focus, the first match then, the Hold button last
    await page.waitForFunction(() => document.activeElement?.id === "hold-client-q");
    await page.keyboard.type(`Odalis ${last}`);
    await page.keyboard.press("Enter");
    const match = page.getByRole("list", { name: "Matching clients" }).getByRole("button", { name: new RegExp(last) }).first();
    await match.waitFor();
    assert.match(await page.evaluate(() => document.activeElement?.textContent ?? ""), new RegExp(last));
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Change client" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.textContent === "Hold");
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: `${held.tag} is held for Odalys ${last}` }).waitFor();
    const row = page.getByRole("row").filter({ hasText: held.tag });
    await row.getByText(`Odalys ${last}`).waitFor();
    await clean("holds");
    await shot("holds");
    await row.getByRole("button", { name: `Release ${held.tag}` }).click();
    await page.getByRole("status").filter({ hasText: `${held.tag} is back in stock` }).waitFor();
    await row.waitFor({ state: "detached" });
    assert.equal((await api.get(`/items/${held.id}`)).status, "in_stock");

    // layaways: client, a piece, a cash deposit and two installments; then paid off
    await tab("Layaways");
    await page.getByRole("heading", { name: "Layaways at MIA" }).waitFor();
    await clean("layaways");
    await page.getByRole("button", { name: "New layaway" }).click();
    await page.getByLabel("Client", { exact: true }).fill(`Odalys ${last}`);
    await page.getByLabel("Client", { exact: true }).press("Enter");
    await match.click();
    await page.getByLabel("Tag", { exact: true }).fill(laidAway.tag);
    await page.getByLabel("Tag", { exact: true }).press("Enter");
    await page.getByRole("cell", { name: laidAway.tag, exact: true }).waitFor();
    await page.getByLabel("Deposit (cash)").fill("50");
    await page.getByLabel("Installments").fill("2");
    await shot("layaway-new");
    await page.getByRole("button", { name: "Open layaway" }).click();
    await page.getByRole("heading", { name: `Layaway of Odalys ${last} · active` }).waitFor();
    const balance = usd(total - 5000);
    await page.locator(".sums dd.total").filter({ hasText: balance }).waitFor();
    await clean("a layaway");
    await shot("layaway-active");
    await page.getByRole("button", { name: "Pay the balance" }).click();
    await page.getByRole("button", { name: "Take payment" }).click();
    await page.getByRole("heading", { name: /^Paid off: sale MIA-\d+$/ }).waitFor();
    await shot("layaway-paid-off");
    assert.equal((await api.get(`/items/${laidAway.id}`)).status, "sold");
    // another, cancelled: the pieces back in stock, the money back by the store's policy
    await page.getByRole("button", { name: "Back to the list" }).click();
    await page.getByRole("row").filter({ hasText: `Odalys ${last}` }).getByRole("button", { name: /^Open the layaway/ }).click();
    await page.getByRole("button", { name: "Cancel layaway…" }).click();
    await page.getByRole("button", { name: "Cancel layaway", exact: true }).click();
    await page.getByRole("heading", { name: /^Cancelled / }).waitFor();
    await page.locator(".result .sums dd").first().waitFor(); // what comes back, by the store's policy
    await shot("layaway-cancelled");
    assert.equal((await api.get(`/items/${given.id}`)).status, "in_stock");

    // returns: an unknown receipt number; a refund above the associate's limit refused
    // next to the button; the sale found by its receipt number (typed in lower case)
    await tab("Returns");
    await page.getByLabel("Receipt number").fill("MIA-999999");
    await page.getByLabel("Receipt number").press("Enter");
    await page.getByRole("alert").filter({ hasText: "No sale has the receipt number MIA-999999" }).waitFor();
    await page.getByLabel("Receipt number").fill(dearSale.receipt_number);
    await page.getByLabel("Receipt number").press("Enter");
    await page.getByLabel(`Return ${dear.tag}`).check();
    await page.getByRole("button", { name: "Return 1 piece" }).click();
    await page.getByRole("alert").filter({ hasText: /needs? a store manager/ }).waitFor();
    await shot("return-refused");
    problems.length = 0; // the browser logs that expected 403
    await page.getByLabel("Receipt number").fill(sale.receipt_number.toLowerCase());
    await page.getByLabel("Receipt number").press("Enter");
    await page.getByRole("heading", { name: `Sale ${sale.receipt_number}` }).waitFor();
    await page.getByLabel(`Return ${sold.tag}`).check();
    await page.locator(".total output").filter({ hasText: usd(total) }).waitFor();
    await clean("returns");
    await page.getByRole("button", { name: "Return 1 piece" }).click();
    await page.getByRole("heading", { name: "Return receipt" }).waitFor();
    await page.locator(".slip dd.total").filter({ hasText: usd(total) }).waitFor();
    await shot("return-receipt");
    assert.equal((await api.get(`/items/${sold.id}`)).status, "in_stock");

    // the drawer closed, counted by denomination: 248.00 against the 250.00 expected
    await tab("Cash drawer");
    await page.getByText(/^(No drawer is open today\.|Open today: .*)$/).waitFor(); // the day's drawers are in
    await page.getByLabel("Register", { exact: true }).fill(register);
    await page.getByRole("heading", { name: `Drawer ${register} · open` }).waitFor();
    await page.getByLabel("Count by denomination").check();
    for (const [note, count] of [["$100.00", "2"], ["$20.00", "2"], ["$5.00", "1"], ["$1.00", "3"]]) {
      await page.getByLabel(`Count of ${note}`, { exact: true }).fill(count);
    }
    await page.locator(".denominations output").filter({ hasText: "$248.00" }).waitFor();
    await shot("drawer-count");
    await page.getByRole("button", { name: "Close drawer" }).click();
    await page.getByRole("heading", { name: `Drawer ${register} closed` }).waitFor();
    const result = page.locator(".result .sums");
    await result.getByText("$250.00").waitFor();
    await result.getByText("−$2.00").waitFor();
    await page.getByRole("row").filter({ hasText: register }).getByText("−$2.00").waitFor();
    await clean("the closed drawer");
    await shot("drawer-closed", { fullPage: true });
    assert.deepEqual(problems, []);
  }));
