// A whole sale with the keyboard alone, as at a counter whose scanner types the
// tag and Enter: sign in, scan, find a second piece by words, find the client
// and attach them, take cash and see the change due, then a new sale: no click
// anywhere.
import assert from "node:assert/strict";
import { test } from "node:test";
import { admin, axe, signIn, withPage } from "./support.mjs";

/** Tab until the focused element is the one ``wanted`` says (at most ``max`` presses). */
async function tabTo(page, wanted, max = 40) {
  for (let n = 0; n < max; n++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const label = el?.labels?.[0]?.textContent ?? el?.getAttribute("aria-label") ?? el?.textContent ?? "";
      return label.trim();
    });
    if (wanted(focused)) return focused;
  }
  throw new Error("Tab never reached the field");
}

const focusedLabel = (page) =>
  page.evaluate(() => document.activeElement?.labels?.[0]?.textContent?.trim() ?? document.activeElement?.textContent?.trim());

test("a sale by keyboard alone: scanned tag, client attached, cash with the change due", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    const [item, other] = await api.newPieces(store, 2);
    const seller = await api.user("sales_associate", [store]);
    const suffix = crypto.randomUUID().slice(0, 8);
    const email = `keys-${suffix}@example.com`;
    const client = await api.post("/clients", {
      first_name: "Imogen", last_name: `Keys${suffix.replace(/\d/g, "")}`, email, home_store_id: store.id,
      consent: { email: true, sms: false, source: "counter" },
    }, 201);

    await signIn(page, seller); // keyboard only, as the counter is
    // the counter is the associate's first screen, the Tag field has the focus
    await page.getByLabel("Tag", { exact: true }).waitFor();
    assert.equal(await focusedLabel(page), "Tag");
    await page.keyboard.type(item.tag);
    await page.keyboard.press("Enter");
    await page.getByRole("cell", { name: item.tag, exact: true }).waitFor();
    assert.equal(await focusedLabel(page), "Tag", "the focus leaves the Tag field after a scan");

    // a second piece found by words: Enter searches, Tab goes down the results, Enter adds
    await page.keyboard.press("Tab");
    assert.equal(await focusedLabel(page), "Find a piece by words");
    await page.keyboard.type(other.description);
    await page.keyboard.press("Enter");
    await page.getByRole("list", { name: "Pieces found" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.closest("ul")?.getAttribute("aria-label") === "Pieces found");
    await shot("found-by-words");
    const focusedText = () => page.evaluate(() => document.activeElement?.textContent ?? "");
    for (let n = 0; n < 8 && !(await focusedText()).includes(other.tag); n++) await page.keyboard.press("Tab");
    assert.ok((await focusedText()).includes(other.tag), "the piece is not among those found");
    await page.keyboard.press("Enter");
    await page.getByRole("cell", { name: other.tag, exact: true }).waitFor();
    assert.equal(await focusedLabel(page), "Tag", "the focus is not back on the Tag field");

    // Tab to the client search, find them by e-mail, Enter on the first found
    await tabTo(page, (label) => label === "Find a client");
    await page.keyboard.type(email);
    await page.keyboard.press("Enter");
    await page.getByRole("list", { name: "Clients found" }).waitFor();
    await page.waitForFunction(() => document.activeElement?.closest("ul")?.getAttribute("aria-label") === "Clients found");
    await shot("client-found");
    await page.keyboard.press("Enter");
    await page.getByRole("button", { name: "Change client" }).waitFor();
    await page.getByText(`${client.first_name} ${client.last_name}`).waitFor();
    // attached: the focus is on the payment, cash by default, the amount what is due
    await page.waitForFunction(() => document.activeElement?.tagName === "SELECT");
    assert.equal(await page.getByLabel("Pay by").inputValue(), "cash");
    const due = Number(await page.getByLabel("Amount", { exact: true }).inputValue());
    await page.keyboard.press("Tab"); // Amount
    await page.keyboard.press("Tab"); // Cash received
    assert.equal(await focusedLabel(page), "Cash received");
    const received = Math.ceil(due / 100) * 100 + 20;
    await page.keyboard.type(String(received));
    const change = `$${(received - due).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    await page.locator(".pay .change output").filter({ hasText: change }).waitFor();
    assert.deepEqual(await axe(page), [], "the sale with a client has serious or critical accessibility violations");
    await shot("client-and-cash");
    await page.setViewportSize({ width: 1920, height: 1080 }); // the same at a back office's screen
    await shot("client-and-cash-wide");
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.keyboard.press("Enter");

    await page.getByRole("heading", { name: /Sale .* completed/ }).waitFor();
    assert.equal(await page.locator(".done .change output").textContent(), change);
    await page.getByText(`· ${client.first_name} ${client.last_name}`).waitFor();
    // the client agreed to e-mail: the receipt goes to them
    await page.getByRole("status").filter({ hasText: `Receipt by e-mail to ${email}` }).waitFor({ timeout: 10000 });
    assert.equal(await focusedLabel(page), "New sale");
    await shot("done");
    const sales = await api.get(`/sales?store_id=${store.id}&limit=5`);
    const sold = sales.items.find((s) => s.lines.some((l) => l.item_id === item.id));
    assert.equal(sold?.client_id, client.id, "the sale is not the client's");
    assert.deepEqual(sold.lines.map((l) => l.item_id).sort(), [item.id, other.id].sort());

    // Enter on New sale: an empty cart, the Tag field ready for the next scan
    await page.keyboard.press("Enter");
    await page.getByText("The cart is empty").waitFor();
    assert.equal(await focusedLabel(page), "Tag");
    assert.deepEqual(problems, []);
  }));
