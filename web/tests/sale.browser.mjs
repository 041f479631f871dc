// The console in a real browser (make test-browser): sign in with the demo
// admin, pick a store, scan a demo piece's tag (an unknown one first), lose
// the session and sign in again with the cart kept, take cash, see the change
// due and the receipt. Debian's chromium, headless; no browser is downloaded.
// Screenshots: web/screenshots/ (git-ignored).
//
//   CONSOLE_URL=http://127.0.0.1:8000 CONSOLE_USERNAME=admin CONSOLE_PASSWORD=... node tests/sale.browser.mjs
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";
import { chromium } from "playwright-core";

const URL = (process.env.CONSOLE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
const USERNAME = process.env.CONSOLE_USERNAME ?? "admin";
const PASSWORD = process.env.CONSOLE_PASSWORD ?? "showcase-velvet-tray-7";
const SHOTS = new globalThis.URL("../screenshots/", import.meta.url).pathname;

/** A demo piece in stock at store ``code``, found through the API as the admin. */
async function pieceIn(code) {
  const signIn = await fetch(`${URL}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
  });
  const { access_token: token } = await signIn.json();
  const auth = { Authorization: `Bearer ${token}` };
  const stores = await (await fetch(`${URL}/stores?limit=200`, { headers: auth })).json();
  const store = stores.items.find((s) => s.code === code);
  const items = await (await fetch(`${URL}/items?store_id=${store.id}&status=in_stock&limit=50`, { headers: auth })).json();
  await fetch(`${URL}/auth/logout`, { method: "POST", headers: auth });
  // the cheapest: cash above 10,000 USD needs the buyer identified (Form 8300)
  const item = items.items.sort((a, b) => a.price.amount - b.price.amount)[0];
  assert.ok(item, `no demo piece in stock at ${code}`);
  return { store, item };
}

test("sign in with the demo admin and sell a demo piece for cash, see the receipt", async () => {
  mkdirSync(SHOTS, { recursive: true });
  const { store, item } = await pieceIn("NYC");
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
  const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  try {
    await page.goto(`${URL}/`);
    await page.screenshot({ path: `${SHOTS}01-sign-in.png` });
    // keyboard only: the username field has the focus
    await page.keyboard.type(USERNAME);
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("combobox").selectOption({ label: `${store.code} · ${store.name}` });
    const tag = page.getByLabel("Tag");
    // an unknown tag: the answer is shown next to the field
    await tag.fill("NO-SUCH-TAG");
    await tag.press("Enter");
    await page.getByRole("alert").filter({ hasText: "No piece has the tag NO-SUCH-TAG" }).waitFor();
    await page.screenshot({ path: `${SHOTS}02-unknown-tag.png` });
    problems.length = 0; // the browser logs that expected 404
    await tag.fill(item.tag);
    await tag.press("Enter");
    await page.getByRole("cell", { name: item.tag, exact: true }).waitFor();
    // the session ends elsewhere (signed out from another tab): back to sign-in, the cart kept
    await page.evaluate(async () => {
      const { access } = JSON.parse(sessionStorage.getItem("console.session") ?? "{}");
      await fetch("/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${access}` } });
    });
    await tag.fill("ANY-TAG");
    await tag.press("Enter");
    await page.getByText("Your session has ended").waitFor();
    await page.screenshot({ path: `${SHOTS}03-session-ended.png` });
    await page.keyboard.type(USERNAME); // the username field has the focus again
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.getByRole("cell", { name: item.tag, exact: true }).waitFor();
    problems.length = 0; // the browser logs the ended session's 401s
    const received = Math.ceil((item.price.amount * 1.2) / 10000) * 100; // whole dollars above the total
    await page.getByLabel("Cash received").fill(String(received));
    await page.screenshot({ path: `${SHOTS}04-cart-and-cash.png` });
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("heading", { name: /Sale .* completed/ }).waitFor();
    const change = await page.locator(".done .change output").textContent();
    assert.match(change ?? "", /^\$[\d,]+\.\d{2}$/);
    await page.getByRole("button", { name: "Receipt" }).click();
    const receipt = page.frameLocator("iframe.receipt");
    await receipt.getByText(item.tag).first().waitFor();
    await page.screenshot({ path: `${SHOTS}05-sale-and-receipt.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } catch (error) {
    await page.screenshot({ path: `${SHOTS}99-failure.png`, fullPage: true });
    throw error;
  } finally {
    await browser.close();
  }
});
