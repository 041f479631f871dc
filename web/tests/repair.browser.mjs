// A repair from intake to pickup on the bench board: a store manager takes a
// ring in for a client found by name, with a photo from the "camera" (a small
// PNG given to the file input), a task to be quoted and rush; the envelope PDF
// is fetched; on the job the photo shows, the estimate is quoted and approved
// at the counter, a bench jeweler assigned; on the board the card moves
// through the stages; at pickup the balance is paid in cash and the job is
// picked up. axe-core on the intake and the board.
import assert from "node:assert/strict";
import { test } from "node:test";
import { randomBytes } from "node:crypto";
import { deflateSync } from "node:zlib";
import { admin, axe, section, signIn, withPage } from "./support.mjs";

/** A real PNG made here (the API checks a photo by its content): ``size`` pixels
 * square, gold, or noise (which does not compress: a tablet-sized file). */
function png(size = 8, noise = false) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
  const row = () => Buffer.concat([Buffer.from([0]), noise ? randomBytes(size * 3)
    : Buffer.from(Array(size).fill([197, 157, 43]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: size }, row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

test("a repair from intake with a photo through the board to pickup", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    // a name of its own (the search forgives typos: a shared prefix would find other tests' clients)
    const letters = [...crypto.getRandomValues(new Uint8Array(9))].map((b) => String.fromCharCode(97 + (b % 26)));
    const surname = letters[0].toUpperCase() + letters.slice(1).join("");
    const [manager, jeweler] = await Promise.all([
      api.user("store_manager", [store]),
      api.user("bench_jeweler", [store]),
      api.post("/clients", { first_name: "Ada", last_name: surname, phone: "+12125550143", home_store_id: store.id }, 201),
    ]);

    await signIn(page, manager);
    await section(page, "Bench");
    await page.getByRole("navigation", { name: "Bench" }).getByRole("link", { name: "Intake" }).click();

    // intake: the client found by name, the piece, a task to quote, a photo, rush
    await page.getByLabel("Find client (name, phone or email)", { exact: true }).fill(surname);
    await page.getByLabel("Find client (name, phone or email)", { exact: true }).press("Enter");
    await page.getByRole("button", { name: new RegExp(`Ada ${surname}`) }).click();
    await page.getByText(`Ada ${surname}`, { exact: true }).waitFor();
    await page.getByLabel("Piece", { exact: true }).fill("14k yellow gold solitaire ring, 0.5 ct round");
    await page.getByLabel("Condition at intake", { exact: true }).fill("two worn prongs, light scratches on the shank");
    await page.getByLabel("What to do", { exact: true }).fill("Retip four prongs and polish");
    await page.locator('input[type="file"][name="photos"]').setInputFiles({ name: "ring.png", mimeType: "image/png", buffer: png() });
    await page.getByRole("img", { name: "New photo 1" }).waitFor();
    await page.getByLabel("Rush", { exact: true }).check();
    assert.deepEqual(await axe(page), [], "axe on the intake");
    await shot("intake");

    const envelope = page.waitForResponse((r) => /\/work-orders\/[^/]+\/envelope\.pdf$/.test(r.url()));
    await page.getByRole("button", { name: "Change client" }).click();
    await page.getByRole("button", { name: "Take the job in" }).click();
    await page.getByRole("alert").filter({ hasText: "Find the client or add a new one" }).waitFor();
    await page.getByLabel("Find client (name, phone or email)", { exact: true }).press("Enter");
    await page.getByRole("button", { name: new RegExp(`Ada ${surname}`) }).click();
    await page.getByRole("button", { name: "Take the job in" }).click();
    const heading = page.getByRole("heading", { name: /^Job NYC-\d+ taken in$/ });
    await heading.waitFor();
    const number = (await heading.textContent()).match(/NYC-\d+/)[0];
    const pdf = await envelope;
    assert.equal(pdf.status(), 200);
    assert.match(pdf.headers()["content-type"], /^application\/pdf/);
    await page.getByRole("link", { name: "Open envelope to print" }).waitFor();
    const sizes = await pdf.request().sizes();
    assert.ok(sizes.responseBodySize > 500, `the envelope has ${sizes.responseBodySize} bytes`);
    await shot("taken-in");

    // the job: the photo shows; quote, the client's approval, a jeweler
    await page.getByRole("link", { name: "Open the job" }).click();
    await page.getByRole("heading", { name: `Job ${number}` }).waitFor();
    const jobId = page.url().split("/").pop();
    const photo = page.getByRole("img", { name: `Photo 1 of ${number}` });
    await photo.waitFor();
    assert.ok(await photo.evaluate((img) => img.complete && img.naturalWidth === 8), "the photo is shown");
    // a camera-sized photo (over the gateway's 1 MiB body once in base64) goes smaller, as JPEG
    const big = png(900, true);
    assert.ok(big.length > 2_000_000);
    await page.getByLabel("Add a photo").setInputFiles({ name: "close-up.png", mimeType: "image/png", buffer: big });
    const second = page.getByRole("img", { name: `Photo 2 of ${number}` });
    await second.waitFor();
    assert.ok(await second.evaluate((img) => img.complete && img.naturalWidth === 900), "the large photo is shown");
    await page.getByText("Needs an estimate").waitFor();
    await page.getByLabel("Estimate (USD)", { exact: true }).fill("12x");
    await page.getByRole("button", { name: "Send estimate" }).click();
    await page.getByRole("alert").filter({ hasText: "Enter an amount in USD" }).waitFor();
    await page.getByLabel("Estimate (USD)", { exact: true }).fill("120");
    await page.getByLabel("Estimate (USD)", { exact: true }).press("Enter");
    await page.getByText("Estimate $120.00 · awaiting approval").waitFor();
    await page.getByRole("button", { name: "Record the client's approval" }).click();
    await page.getByText("Estimate $120.00 · approved").waitFor();
    await page.getByRole("combobox", { name: "Jeweler" }).selectOption({ label: jeweler.username });
    await page.getByRole("button", { name: "Assign" }).click();
    await page.locator(".facts dd").filter({ hasText: jeweler.username }).waitFor();
    // the API's refusal shows next to the field it names: a cancellation without a reason
    await page.getByRole("combobox", { name: /^Move to/ }).selectOption({ label: "Cancelled" });
    await page.locator(".move-detail").getByRole("button", { name: "Move", exact: true }).click();
    await page.locator(".move-detail").getByRole("alert").filter({ hasText: "a cancellation needs a reason" }).waitFor();
    problems.length = 0; // the browser logs that expected 422
    await page.getByRole("combobox", { name: /^Move to/ }).selectOption({ label: "At the bench" });
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot("job");

    // the board: the card moves approved → at the bench → quality check → ready
    await page.getByRole("link", { name: "← Bench board" }).click();
    const card = page.getByRole("article", { name: new RegExp(number) });
    const column = (stage) => page.locator(`section.column[data-stage="${stage}"]`);
    await column("approved").getByRole("article", { name: new RegExp(number) }).waitFor();
    await card.getByText("⚡ Rush").waitFor();
    await card.getByText(`Jeweler: ${jeweler.username}`).waitFor();
    assert.deepEqual(await axe(page), [], "axe on the board");
    await shot("board");
    for (const [stage, name] of [["in_progress", "At the bench"], ["quality_check", "Quality check"]]) {
      await card.getByRole("button", { name: `Move ${number} to ${name}` }).click();
      await column(stage).getByRole("article", { name: new RegExp(number) }).waitFor();
    }
    // the mouse's way, on the back office's screen: dragged onto the next column (one the
    // card may not go to takes no drop)
    await page.setViewportSize({ width: 1920, height: 1080 });
    await card.dragTo(column("received"));
    await card.dragTo(column("ready_for_pickup"));
    await column("ready_for_pickup").getByRole("article", { name: new RegExp(number) }).waitFor();
    assert.equal(await column("received").getByRole("article", { name: new RegExp(number) }).count(), 0);
    await shot("board-ready-1920");
    await page.setViewportSize({ width: 1024, height: 768 });

    // pickup: the envelope's barcode scanned on the board opens the job; the balance
    // (the estimate and the store's tax) in cash
    await card.getByRole("link", { name: "Pickup" }).waitFor();
    const tabs = page.getByRole("navigation", { name: "Bench" });
    await tabs.getByRole("link", { name: "Pickup" }).click();
    await page.getByRole("row").filter({ hasText: number }).getByText("$").waitFor(); // its balance due
    await shot("pickup-list");
    await tabs.getByRole("link", { name: "Board" }).click(); // the number typed before the board is there
    await page.getByLabel("Job number", { exact: true }).fill(number.toLowerCase());
    await page.getByLabel("Job number", { exact: true }).press("Enter");
    await page.getByRole("heading", { name: "Pickup" }).waitFor();
    const toPay = await page.locator(".pickup dd.total").textContent();
    assert.match(toPay, /^\$1\d\d\.\d\d$/);
    await page.getByLabel("Cash received", { exact: true }).fill("200");
    await page.getByRole("button", { name: "Take cash and hand over" }).click();
    await page.getByRole("status").filter({ hasText: "Picked up" }).waitFor();
    await page.locator(".stage").filter({ hasText: "Picked up" }).waitFor();
    await shot("picked-up");

    const job = await api.get(`/work-orders/${jobId}`);
    assert.equal(job.number, number);
    assert.equal(job.stage, "picked_up");
    assert.equal(job.balance_due.amount, 0);
    assert.deepEqual(problems, []);
  }));
