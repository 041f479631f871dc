// The client book at the counter: a store manager finds a client with a typo in
// the name, opens the profile (the timeline with a viewing booked earlier, the
// wish list, consent changed and shown as recorded), then books a viewing from
// the profile and finds it in the week's calendar.
import assert from "node:assert/strict";
import { test } from "node:test";
import { admin, axe, signIn, withPage } from "./support.mjs";

const letters = (n) => Array.from({ length: n }, () => "bcdfghjklmnprstvz"[Math.floor(Math.random() * 17)]).join("");

test("a client found with a typo, their profile changed, a viewing booked and on the calendar", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const store = await api.store("NYC");
    const manager = await api.user("store_manager", [store]);
    const last = `Ashcombe${letters(4)}`; // unique in a shared chain, and a name a trigram can find
    const client = await api.post("/clients", {
      first_name: "Philippa", last_name: last, phone: `+1212555${String(Math.floor(Math.random() * 9000) + 1000)}`,
      email: `${last.toLowerCase()}@example.com`, home_store_id: store.id,
      milestones: [{ kind: "birthday", date: "1984-06-14" }],
    }, 201);
    // a viewing booked earlier, in ten days: the timeline shows it
    const later = new Date(Date.now() + 10 * 86400e3);
    later.setUTCHours(16, 0, 0, 0);
    await api.post("/appointments", {
      client_id: client.id, store_id: store.id, staff_user_id: manager.id,
      starts_at: later.toISOString(), purpose: "pearls", duration_minutes: 30,
    }, 201);

    await signIn(page, manager);
    // a new client at the counter: e-mail consent asked and given, SMS not assumed
    await page.goto("/#/clients/new");
    const digits = String(Math.floor(Math.random() * 9000) + 1000);
    const form = page.getByRole("region", { name: "New client" });
    await form.getByLabel("First name").fill("Teodora");
    await form.getByLabel("Last name").fill(`Quill${letters(5)}`);
    await form.getByLabel("Phone").fill(`(646) 555-${digits}`);
    await form.getByRole("checkbox", { name: "E-mails" }).check();
    await form.getByRole("button", { name: "Add client" }).click();
    await page.getByRole("heading", { name: /^Teodora Quill/ }).waitFor();
    await page.getByRole("region", { name: "Consent" }).getByRole("button", { name: "Opt out of e-mail" }).waitFor();
    await page.getByRole("region", { name: "Consent" }).getByText("not opted in").waitFor(); // SMS: asked, declined
    await page.getByRole("link", { name: "Find a client" }).click();
    // the phone in another format finds them
    await page.getByLabel("Name, phone or e-mail").fill(`646.555.${digits}`);
    await page.getByLabel("Name, phone or e-mail").press("Enter");
    await page.getByRole("link", { name: /^Teodora Quill/ }).waitFor();
    const typo = `Philippa ${last.slice(0, 3)}${last[4]}${last[3]}${last.slice(5)}`; // two letters swapped
    const search = page.getByLabel("Name, phone or e-mail");
    await search.fill(typo);
    await search.press("Enter");
    const found = page.getByRole("link", { name: `Philippa ${last}` });
    await found.waitFor();
    await shot("found-with-a-typo");
    await found.click();

    await page.getByRole("heading", { name: `Philippa ${last}` }).waitFor();
    const timeline = page.getByRole("region", { name: "Timeline" });
    await timeline.getByText(/Private viewing at .*: pearls/).waitFor();
    // consent: never assumed, then given at the counter and shown with its source
    const consent = page.getByRole("region", { name: "Consent" });
    await consent.getByText("never asked").first().waitFor();
    await consent.getByRole("button", { name: "Opt in to SMS" }).click();
    await consent.getByRole("button", { name: "Opt out of SMS" }).waitFor();
    await consent.getByText(/since .*\(counter\)/).waitFor();
    // the wish list: a wish added, then one taken off
    const wishes = page.getByRole("region", { name: "Wish list" });
    await wishes.getByLabel("Wish", { exact: true }).fill("Tahitian pearl earrings");
    await wishes.getByLabel("Wish", { exact: true }).press("Enter");
    await wishes.getByText("Tahitian pearl earrings").waitFor();
    await wishes.getByLabel("Wish", { exact: true }).fill("Emerald ring, yellow gold");
    await wishes.getByRole("button", { name: "Add to the wish list" }).click();
    await wishes.getByText("Emerald ring, yellow gold").waitFor();
    await wishes.getByRole("button", { name: "Remove wish Emerald ring, yellow gold" }).click();
    await wishes.getByText("Emerald ring, yellow gold").waitFor({ state: "detached" });
    // a milestone the API refuses: the answer next to the field
    const milestones = page.getByRole("region", { name: "Milestones" });
    await milestones.getByRole("button", { name: "Edit milestones" }).click();
    await milestones.getByRole("button", { name: "Add a milestone" }).click();
    await milestones.getByLabel("Kind").nth(1).selectOption("anniversary");
    await milestones.getByLabel("Date").nth(1).fill("2010-13-45");
    await milestones.getByRole("button", { name: "Save milestones" }).click();
    await milestones.getByRole("alert").first().waitFor();
    problems.length = 0; // the browser logs the expected 422
    await milestones.getByLabel("Date").nth(1).fill("2010-09-18");
    await milestones.getByRole("button", { name: "Save milestones" }).click();
    await milestones.getByRole("button", { name: "Edit milestones" }).waitFor();
    await milestones.getByText(/anniversary: .*2010/).waitFor();
    await shot("profile", { fullPage: true });
    assert.deepEqual(await axe(page), []);
    const saved = await api.get(`/clients/${client.id}`);
    assert.equal(saved.consent.sms, true);
    assert.equal(saved.consent.email, false);
    assert.equal(saved.milestones.length, 2);
    assert.deepEqual(saved.wishlist.filter((w) => w.status === "open").map((w) => w.description), ["Tahitian pearl earrings"]);

    // a viewing booked from the profile, the day after tomorrow, and seen in the week
    await page.getByRole("link", { name: "Book a viewing" }).click();
    await page.getByText(`For Philippa ${last}`).waitFor();
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: store.timezone }).format(new Date(Date.now() + 2 * 86400e3));
    const booking = page.getByRole("region", { name: "Book a viewing" });
    await booking.getByLabel("Day").fill(day);
    await booking.getByLabel("Time").fill("15:30");
    await booking.getByLabel("Length").selectOption("45");
    await booking.getByLabel("Purpose").fill("engagement rings");
    await booking.getByRole("button", { name: "Book" }).click();
    await booking.getByRole("status").filter({ hasText: "Booked" }).waitFor();
    const slot = page.locator(".day .slot").filter({ hasText: `Philippa ${last}` }).filter({ hasText: "engagement rings" });
    await slot.waitFor();
    assert.match(await slot.locator("time").textContent(), /^15:30–16:15$/);
    const [booked] = (await api.get(`/appointments?store_id=${store.id}&date=${day}&staff_user_id=${manager.id}`)).items;
    assert.equal(booked.client_id, client.id);
    assert.equal(booked.purpose, "engagement rings");
    await shot("calendar-week");
    assert.deepEqual(await axe(page), []);
    // the same associate at the same time again: the API's refusal shows by the form
    await booking.getByLabel("Purpose").fill("again");
    await booking.getByRole("button", { name: "Book" }).click();
    await booking.getByRole("alert").filter({ hasText: `${manager.username} already has a viewing then` }).waitFor();
    await shot("double-booking-refused");
    problems.length = 0; // the expected 409
    assert.deepEqual(problems, []);
  }));
