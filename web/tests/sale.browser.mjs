// A sale from a scanned tag to a printed receipt: sign in, pick a store, scan an
// unknown tag (the answer next to the field), scan a demo piece, lose the
// session and sign in again with the cart kept, pay part with a gift card
// (its balance looked up), part by card and the rest in cash, see the change due and the
// receipt, and print it: on paper the receipt alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, admin, axe, pickStore, signIn, withPage } from "./support.mjs";

const usd = (amount) => ({ amount, currency: "USD" });
const dollars = (minor) => (minor / 100).toFixed(2);
const usdText = (minor) => `$${(minor / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

test("a scanned tag sold with a gift card, a card and cash, the change due and the printed receipt", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    // the cheapest: cash above 10,000 USD needs the buyer identified (Form 8300)
    const [item] = await api.newPieces(store, 1);
    // a gift card of 50.00 sold at NYC (a gift card line is not taxed)
    const card = await api.post("/sales", {
      store_id: store.id, lines: [{ gift_card: { amount: usd(5000) } }],
      tenders: [{ method: "cash", amount: usd(5000) }],
    }, 201);
    const code = card.gift_cards[0].code;

    await page.goto("/");
    await shot("sign-in");
    await signIn(page, ADMIN);
    await pickStore(page, store);
    const tag = page.getByLabel("Tag", { exact: true });
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

    const total = item.price.amount + Math.floor((item.price.amount * store.tax_rate_bps + 5000) / 10000);
    assert.ok(total > 15000, "the cheapest piece costs less than the gift card and the card pay");
    await page.locator(".totals dd.total").filter({ hasText: usdText(total) }).waitFor();

    // 50.00 from the gift card, its balance looked up first
    await page.getByLabel("Pay by").selectOption({ label: "Gift card" });
    await page.getByLabel("Gift card code").fill(code);
    await page.getByRole("button", { name: "Check balance" }).click();
    await page.getByRole("status").filter({ hasText: "Balance $50.00" }).waitFor();
    await page.getByLabel("Amount", { exact: true }).fill("50.00");
    await page.getByRole("button", { name: "Add gift card payment" }).click();
    await page.getByRole("list", { name: "Payments" }).getByText(`Gift card ${code}`).waitFor();
    // 100.00 by card (the terminal's payment method, charged through Stripe)
    assert.equal(await page.getByLabel("Pay by").inputValue(), "cash");
    await page.getByLabel("Pay by").selectOption({ label: "Card" });
    await page.getByLabel("Amount", { exact: true }).fill("100");
    await page.getByLabel("Card payment method").fill("pm_card_visa");
    await page.getByLabel("Card payment method").press("Enter");
    await page.getByRole("list", { name: "Payments" }).getByText("Card pm_card_visa").waitFor();
    // the rest in cash, whole dollars above it
    const rest = total - 5000 - 10000;
    await page.getByText(`Still to pay $`).waitFor();
    assert.equal(await page.getByLabel("Amount", { exact: true }).inputValue(), dollars(rest));
    assert.equal(await page.getByLabel("Pay by").inputValue(), "cash");
    const received = Math.ceil(rest / 10000) * 100 + 100;
    await page.getByLabel("Cash received").fill(String(received));
    await page.locator(".pay .change output").filter({ hasText: usdText(received * 100 - rest) }).waitFor();
    assert.deepEqual(await axe(page), [], "the sale screen has serious or critical accessibility violations");
    await shot("split-tender");
    await page.getByLabel("Cash received").press("Enter");

    await page.getByRole("heading", { name: /Sale .* completed/ }).waitFor();
    const change = await page.locator(".done .change output").textContent();
    assert.equal(change, usdText(received * 100 - rest));
    const paid = await page.getByRole("list", { name: "Paid by" }).textContent();
    assert.match(paid ?? "", /gift card \$50\.00/);
    assert.match(paid ?? "", /card \$100\.00/);
    assert.match(paid ?? "", /cash/);
    const receipt = page.frameLocator("iframe.receipt");
    await receipt.getByText(item.tag).first().waitFor();
    assert.ok(await page.getByRole("button", { name: "New sale" }).evaluate((b) => b === document.activeElement),
      "the focus is not on New sale");
    assert.deepEqual(await axe(page), [], "the receipt screen has serious or critical accessibility violations");
    await shot("sale-and-receipt", { fullPage: true });

    // on paper: the receipt alone, no frame bar, no tabs, no buttons
    await page.emulateMedia({ media: "print" });
    assert.ok(await page.locator("header.bar").isHidden(), "the frame bar prints");
    assert.ok(await page.getByRole("button", { name: "New sale" }).isHidden(), "the buttons print");
    assert.ok(await page.locator("nav.tabs").isHidden(), "the counter's tabs print");
    assert.ok(await page.locator("iframe.receipt").isVisible(), "the receipt does not print");
    await receipt.getByText(item.tag).first().waitFor();
    await shot("printed-receipt", { fullPage: true });
    await page.emulateMedia({ media: "screen" });

    // the gift card paid 50.00: its balance is 0 now
    const after = await api.get(`/gift-cards/${code}`);
    assert.equal(after.balance.amount, 0);
    assert.deepEqual(problems, []);
  }));
