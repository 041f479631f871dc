// A sale from a scanned tag to a receipt: sign in, pick a store, scan an
// unknown tag (the answer next to the field), scan a demo piece, lose the
// session and sign in again with the cart kept, take cash, see the change due
// and the receipt.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, admin, pickStore, signIn, withPage } from "./support.mjs";

test("a scanned tag sold for cash, with the change due and the receipt", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    // the cheapest: cash above 10,000 USD needs the buyer identified (Form 8300)
    const [item] = await api.piecesIn(store);
    assert.ok(item, "no demo piece in stock at NYC");

    await page.goto("/");
    await shot("sign-in");
    await signIn(page, ADMIN);
    await pickStore(page, store);
    const tag = page.getByLabel("Tag");
    await tag.fill("NO-SUCH-TAG");
    await tag.press("Enter");
    await page.getByRole("alert").filter({ hasText: "No piece has the tag NO-SUCH-TAG" }).waitFor();
    await shot("unknown-tag");
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
    await shot("session-ended");
    await page.keyboard.type(ADMIN.username); // the username field has the focus again
    await page.keyboard.press("Tab");
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press("Enter");
    await page.getByRole("cell", { name: item.tag, exact: true }).waitFor();
    problems.length = 0; // the browser logs the ended session's 401s
    const received = Math.ceil((item.price.amount * 1.2) / 10000) * 100; // whole dollars above the total
    await page.getByLabel("Cash received").fill(String(received));
    await shot("cart-and-cash");
    await page.getByLabel("Cash received").press("Enter");
    await page.getByRole("heading", { name: /Sale .* completed/ }).waitFor();
    const change = await page.locator(".done .change output").textContent();
    assert.match(change ?? "", /^\$[\d,]+\.\d{2}$/);
    await page.getByRole("button", { name: "Receipt" }).click();
    await page.frameLocator("iframe.receipt").getByText(item.tag).first().waitFor();
    await shot("sale-and-receipt", { fullPage: true });
    assert.deepEqual(problems, []);
  }));
