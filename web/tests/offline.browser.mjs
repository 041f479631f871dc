// The counter offline (a store of its own, its drawer open): the network cut,
// three cash sales kept in the browser (a card taken before the cut refused
// with its message, the sale paid in cash instead), one
// of their pieces sold meanwhile by another associate through the API; a
// reload while offline (the console opens from the service worker's cache, the
// queue still there); the network back: the queue is sent in order, two sales
// made, one conflict; the manager refunds it. On the server: one sale per
// piece, and the drawer's expected cash is the float and the two sales (the
// refunded cash is recorded in and out with the sale's key in the reasons).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Api, admin, axe, signIn, withPage } from "./support.mjs";

const usdText = (minor) => `$${(minor / 100).toLocaleString("en-US", { minimumFractionDigits: 2 })}`;

async function receive(api, store, price) {
  // the new store reaches inventory through an event: a moment after it is made
  const body = {
    store_id: store.id, category: "ring", description: `Offline ring ${crypto.randomUUID().slice(0, 6)}`,
    metal: { type: "silver", weight_g: "4.000" }, price: { amount: price, currency: "USD" },
  };
  for (let i = 0; ; i++) {
    const response = await api.call("POST", "/items", body, undefined, { "Idempotency-Key": crypto.randomUUID() });
    if (response?.id) return response;
    if (i > 40) assert.fail(`could not receive a piece: ${JSON.stringify(response)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("three cash sales offline, a reload offline, the replay in order and a conflict refunded", () =>
  withPage(import.meta.url, async ({ page, context, problems, shot }) => {
    const api = await admin();
    const store = await api.call("POST", "/stores", {
      code: `OFF${crypto.randomUUID().slice(0, 5).toUpperCase()}`, name: "Offline Lane", currency: "USD",
      timezone: "America/New_York", tax_rate_bps: 0,
    }, 201);
    const [a, b, c] = [await receive(api, store, 12500), await receive(api, store, 13500), await receive(api, store, 14500)];
    const manager = await api.user("store_manager", [store]);
    const other = await api.user("sales_associate", [store]);
    const managerApi = await Api.signIn(manager.username, manager.password);
    const drawer = await managerApi.call("POST", "/drawers",
      { store_id: store.id, register: "main", float: { amount: 20000, currency: "USD" } }, 201);

    await signIn(page, manager);
    await page.getByText("3 pieces of this store kept for selling offline").waitFor();
    // the service worker has the app shell and controls the page
    await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 20_000 });

    // the first piece in the cart and 10.00 by card while online
    const tag = page.getByLabel("Tag", { exact: true });
    await tag.fill(a.tag);
    await tag.press("Enter");
    await page.getByRole("cell", { name: a.tag, exact: true }).waitFor();
    await page.getByLabel("Pay by").selectOption({ label: "Card" });
    await page.getByLabel("Amount", { exact: true }).fill("10");
    await page.getByLabel("Card payment method").fill("pm_card_visa");
    await page.getByLabel("Card payment method").press("Enter");
    await page.getByRole("list", { name: "Payments" }).getByText("Card pm_card_visa").waitFor();

    await context.setOffline(true);
    const banner = page.locator(".offline-banner");
    await banner.getByText("Offline: 0 sales waiting").waitFor();
    // the rest in cash: refused while a card is among the payments, with what to do
    await page.getByText(/^Offline: cash only\./).waitFor();
    await page.getByLabel("Cash received").fill("150");
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("alert").filter({ hasText: "Offline: cash only" }).filter({ hasText: "(remove: Card pm_card_visa)" }).waitFor();
    await shot("card-refused-offline");
    await page.getByRole("button", { name: "Remove payment 1: Card pm_card_visa" }).click();
    await page.getByText("Still to pay $10.00").waitFor();
    await page.getByLabel("Amount", { exact: true }).press("Enter"); // the 10.00 left, in cash
    await page.getByRole("heading", { name: "Sale kept offline: waiting to be sent" }).waitFor();
    // 115.00 (150.00 handed over) and 10.00 in cash: 35.00 back
    await page.locator(".provisional .change output").filter({ hasText: "$35.00" }).waitFor();
    await banner.getByText("Offline: 1 sale waiting").waitFor();
    assert.deepEqual(await axe(page), [], "the provisional receipt has serious or critical accessibility violations");
    await shot("provisional-receipt");
    await page.getByRole("button", { name: "New sale" }).click();

    async function sellOffline(piece, received, count) {
      await tag.fill(piece.tag);
      await tag.press("Enter");
      await page.getByRole("cell", { name: piece.tag, exact: true }).waitFor();
      await page.getByText(/^Offline: cash only\./).waitFor();
      assert.deepEqual(await page.getByLabel("Pay by").locator("option").allTextContents(), ["Cash"]);
      await page.getByLabel("Cash received").fill(String(received / 100));
      await page.getByLabel("Cash received").press("Enter");
      await page.getByRole("heading", { name: "Sale kept offline: waiting to be sent" }).waitFor();
      await page.locator(".provisional .change output").filter({ hasText: usdText(received - piece.price.amount) }).waitFor();
      await banner.getByText(`Offline: ${count} sales waiting`).waitFor();
      await page.getByRole("button", { name: "New sale" }).click();
    }

    // meanwhile another associate sells the third piece (another register, no drawer)
    const elsewhere = await (await Api.signIn(other.username, other.password)).post("/sales", {
      store_id: store.id, register: "SHOWCASE", lines: [{ item_id: c.id }],
      tenders: [{ method: "cash", amount: { amount: 14500, currency: "USD" } }],
    }, 201);
    await sellOffline(b, 13500, 2);
    await sellOffline(c, 20000, 3);
    // a piece already sold offline is not sold twice here
    await tag.fill(a.tag);
    await tag.press("Enter");
    await page.getByText(`Offline: ${a.tag} is not among this store's pieces kept for offline sales`).waitFor();
    await shot("three-waiting");

    // a reload while offline: the console opens from the cache, the queue is still there
    const reloaded = await page.reload();
    assert.ok(reloaded?.fromServiceWorker(), "the page did not come from the service worker");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await banner.getByText("Offline: 3 sales waiting").waitFor();
    await page.getByRole("navigation", { name: "Counter" }).getByRole("link", { name: "Offline sales" }).click();
    await page.getByText("waiting to be sent").first().waitFor();
    assert.equal(await page.locator(".offline-sales li").filter({ hasText: "waiting to be sent" }).count(), 3);
    await shot("reloaded-offline");

    // the network back: sent in order, two made, the third a conflict
    await context.setOffline(false);
    const conflict = page.getByRole("group", { name: /^Conflict P-/ });
    await conflict.getByText(`${c.tag} · `).waitFor({ timeout: 30_000 });
    await conflict.getByText("sold elsewhere (sold)").waitFor();
    assert.equal(await page.locator(".offline-sales li").filter({ hasText: /· sent/ }).count(), 2);
    await banner.getByText(/1 sale kept offline could not be made/).waitFor();
    assert.deepEqual(await axe(page), [], "the conflict has serious or critical accessibility violations");
    await shot("conflict");
    await conflict.getByRole("button", { name: "Refund $145.00 in cash" }).click();
    await page.locator(".offline-sales li").filter({ hasText: c.tag }).getByText("refunded", { exact: true }).waitFor();
    assert.ok(await banner.isHidden(), "the banner stays with nothing waiting and no conflict");
    await shot("refunded");

    // the server: one sale per piece, the drawer right
    const sales = (await api.get(`/sales?store_id=${store.id}&limit=100`)).items.filter((s) => s.status === "completed");
    for (const piece of [a, b, c]) {
      const selling = sales.filter((s) => s.lines.some((l) => l.item_id === piece.id));
      assert.equal(selling.length, 1, `${piece.tag} is in ${selling.length} completed sales`);
    }
    assert.ok(sales.some((s) => s.id === elsewhere.id && s.lines[0].item_id === c.id));
    // sent in the order they were made: the first offline sale has the earlier receipt number
    const number = (piece) => sales.find((s) => s.lines.some((l) => l.item_id === piece.id)).receipt_number;
    assert.ok(number(a) < number(b), `${number(a)} after ${number(b)}`);
    const day = await managerApi.get(`/drawers?store_id=${store.id}&date=${drawer.business_date}`);
    const main = day.items.find((d) => d.id === drawer.id);
    assert.equal(main.cash_sales.amount, 12500 + 13500);
    assert.equal(main.cash_in.amount, 14500);
    assert.equal(main.cash_out.amount, 14500);
    assert.equal(main.expected.amount, 20000 + 12500 + 13500);
    // the errors the browser logs for the calls that could not go out, and the conflict's 409
    const unexpected = problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|status of 409|ERR_FAILED/.test(p));
    assert.deepEqual(unexpected, []);
  }));

test("an associate's offline sale of a piece sold elsewhere, substituted by the manager with another piece", () =>
  withPage(import.meta.url, async ({ page, context, problems, shot }) => {
    const api = await admin();
    const store = await api.call("POST", "/stores", {
      code: `OFS${crypto.randomUUID().slice(0, 5).toUpperCase()}`, name: "Substitute Lane", currency: "USD",
      timezone: "America/New_York", tax_rate_bps: 0,
    }, 201);
    const [sold, instead] = [await receive(api, store, 12500), await receive(api, store, 14000)];
    const [manager, associate, other] = [await api.user("store_manager", [store]),
      await api.user("sales_associate", [store]), await api.user("sales_associate", [store])];
    const managerApi = await Api.signIn(manager.username, manager.password);
    const drawer = await managerApi.call("POST", "/drawers",
      { store_id: store.id, register: "main", float: { amount: 10000, currency: "USD" } }, 201);

    await signIn(page, associate);
    await page.getByText("2 pieces of this store kept for selling offline").waitFor();
    await context.setOffline(true);
    const tag = page.getByLabel("Tag", { exact: true });
    await tag.fill(sold.tag);
    await tag.press("Enter");
    await page.getByLabel("Cash received").fill("130");
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("heading", { name: "Sale kept offline: waiting to be sent" }).waitFor();
    await (await Api.signIn(other.username, other.password)).post("/sales", {
      store_id: store.id, register: "SHOWCASE", lines: [{ item_id: sold.id }],
      tenders: [{ method: "cash", amount: { amount: 12500, currency: "USD" } }],
    }, 201);

    // back online: the conflict, which the associate sees and a manager resolves
    await context.setOffline(false);
    const banner = page.locator(".offline-banner");
    await banner.getByRole("link", { name: /1 sale kept offline could not be made/ }).click();
    const conflict = page.getByRole("group", { name: /^Conflict P-/ });
    await conflict.getByText("A store manager resolves it").waitFor();
    assert.equal(await conflict.getByRole("button").count(), 0);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Username").fill(manager.username);
    await page.getByLabel("Password").fill(manager.password);
    await page.getByLabel("Password").press("Enter");
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.getByRole("navigation", { name: "Counter" }).getByRole("link", { name: "Offline sales" }).click();
    await conflict.getByText("sold elsewhere (sold)").waitFor();
    await conflict.getByLabel("Substitute piece tag").fill(instead.tag);
    await conflict.getByRole("button", { name: "Substitute" }).click();
    const resolved = page.locator(".offline-sales li").filter({ hasText: sold.tag });
    await resolved.getByText("substituted", { exact: true }).waitFor();
    await resolved.getByText(`${instead.tag} in place of ${sold.tag} for $140.00: take $15.00 more in cash`).waitFor();
    assert.ok(await banner.isHidden(), "the banner stays with no conflict left");
    await shot("substituted");

    // the server: each piece sold once, the substitute's cash in the drawer
    const sales = (await api.get(`/sales?store_id=${store.id}&limit=100`)).items.filter((s) => s.status === "completed");
    for (const piece of [sold, instead]) {
      assert.equal(sales.filter((s) => s.lines.some((l) => l.item_id === piece.id)).length, 1, `${piece.tag} sold twice or never`);
    }
    const main = (await managerApi.get(`/drawers?store_id=${store.id}&date=${drawer.business_date}`)).items
      .find((d) => d.id === drawer.id);
    assert.equal(main.cash_sales.amount, 14000);
    assert.equal(main.expected.amount, 10000 + 14000);
    const unexpected = problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|status of 409|ERR_FAILED/.test(p));
    assert.deepEqual(unexpected, []);
  }));

test("a sale whose answer is lost is kept under its key and sent again: one sale", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.call("POST", "/stores", {
      code: `OFL${crypto.randomUUID().slice(0, 5).toUpperCase()}`, name: "Lost Answer Lane", currency: "USD",
      timezone: "America/New_York", tax_rate_bps: 0,
    }, 201);
    const piece = await receive(api, store, 12500);
    const associate = await api.user("sales_associate", [store]);
    const drawer = await api.call("POST", "/drawers",
      { store_id: store.id, register: "main", float: { amount: 10000, currency: "USD" } }, 201);

    await signIn(page, associate);
    await page.getByText("1 piece of this store kept for selling offline").waitFor();
    // the sale reaches the server, its answer never comes back (the browser still says online)
    const lose = async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      await route.fetch();
      await route.abort("connectionreset");
    };
    await page.route("**/sales", lose);
    const tag = page.getByLabel("Tag", { exact: true });
    await tag.fill(piece.tag);
    await tag.press("Enter");
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("heading", { name: "Sale kept offline: waiting to be sent" }).waitFor();
    const banner = page.locator(".offline-banner");
    await banner.getByText("Offline: 1 sale waiting").waitFor();
    await shot("answer-lost");
    // the connection back: the periodic try sends it again under the same key, the server's answer replayed
    await page.unroute("**/sales", lose);
    await page.getByRole("navigation", { name: "Counter" }).getByRole("link", { name: "Offline sales" }).click();
    await page.locator(".offline-sales li").filter({ hasText: piece.tag }).getByText("sent", { exact: true })
      .waitFor({ timeout: 40_000 });
    assert.ok(await banner.isHidden(), "still offline after the queue was sent");

    const sales = (await api.get(`/sales?store_id=${store.id}&limit=100`)).items;
    assert.equal(sales.filter((s) => s.lines.some((l) => l.item_id === piece.id)).length, 1, "sold twice");
    const main = (await api.get(`/drawers?store_id=${store.id}&date=${drawer.business_date}`)).items
      .find((d) => d.id === drawer.id);
    assert.equal(main.expected.amount, 10000 + 12500);
    const unexpected = problems.filter((p) => !/ERR_CONNECTION_RESET|Failed to fetch|ERR_FAILED/.test(p));
    assert.deepEqual(unexpected, []);
  }));
