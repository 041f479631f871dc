// Admin as the HQ admin: a user created and their password reset (the
// temporary password shown once, and it signs in), an FX rate added, a metal
// price set, a message template edited (an unknown placeholder refused by the
// field, then saved and previewed). As a store manager: only their stores'
// users, no FX rate to change, and a metal price form (for their stores).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, admin, Api, axe, PASSWORD, section, signIn, withPage } from "./support.mjs";

test("HQ administers users, rates, metal prices and wording; a store manager sees their own stores", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const api = await admin();
    const nyc = await api.store("NYC");
    const mia = await api.store("MIA");
    const manager = await api.user("store_manager", [mia]);
    const miaAssociate = await api.user("sales_associate", [mia]);
    const username = `counter-${crypto.randomUUID().slice(0, 6)}`;

    await signIn(page, ADMIN);
    await section(page, "Admin");
    // a user created: role and stores
    const created = page.getByRole("region", { name: "New user" });
    await created.getByLabel("Username").fill(username);
    await created.getByLabel("First password").fill(PASSWORD);
    await created.getByLabel("Role").selectOption("sales_associate");
    for (const box of await created.getByRole("checkbox").all()) await box.uncheck();
    await created.getByRole("checkbox", { name: `NYC · ${nyc.name}` }).check();
    await created.getByRole("button", { name: "Create user" }).click();
    await created.getByRole("status").filter({ hasText: `${username} can sign in now` }).waitFor();
    const [user] = (await api.get(`/users?q=${username}`)).items;
    assert.equal(user.role, "sales_associate");
    assert.deepEqual(user.store_ids, [nyc.id]);
    // their password reset: shown once, and it signs in
    const users = page.getByRole("region", { name: "Users of the chain" });
    await users.getByLabel("Username contains").fill(username);
    await users.getByLabel("Username contains").press("Enter");
    await users.getByRole("button", { name: `Reset password for ${username}` }).click();
    const temporary = await users.getByRole("status").locator("code").textContent();
    assert.ok(temporary && temporary.length >= 8, `a temporary password: ${temporary}`);
    await Api.signIn(username, temporary);
    await users.getByRole("cell", { name: "must change password" }).waitFor();
    await shot("users-password-reset");
    assert.deepEqual(await axe(page), []);

    // an FX rate
    await page.getByRole("navigation", { name: "Admin" }).getByRole("link", { name: "FX rates" }).click();
    // four decimals, the last never 0 (the API writes 1.9650 as 1.965)
    const rate = `1.${Math.floor(Math.random() * 900) + 100}${Math.floor(Math.random() * 9) + 1}`;
    await page.getByLabel("Currency", { exact: true }).fill("CHF");
    await page.getByLabel(/^Rate/).fill(rate);
    await page.getByRole("button", { name: "Add rate" }).click();
    await page.getByRole("status").filter({ hasText: `1 CHF = ${rate}` }).waitFor();
    await page.getByRole("cell", { name: new RegExp(`^${rate.replace(".", "\\.")}`) }).waitFor();
    await shot("fx-rate-added");

    // a metal price (palladium: no demo piece is priced by its weight)
    await page.getByRole("link", { name: "Metal prices" }).click();
    await page.getByRole("combobox", { name: /^Metal/ }).selectOption("palladium");
    await page.getByRole("combobox", { name: /^Currency/ }).selectOption("USD");
    await page.getByLabel("Price per gram").fill("abc");
    await page.getByRole("button", { name: "Set price" }).click();
    await page.getByRole("alert").filter({ hasText: "Enter a price in USD" }).waitFor();
    await page.getByLabel("Price per gram").fill("38.25");
    await page.getByRole("button", { name: "Set price" }).click();
    await page.getByRole("table", { name: "Set now" }).getByRole("cell", { name: "$38.25" }).waitFor();
    await page.getByRole("table", { name: "In force" }).getByRole("row").filter({ hasText: "palladium" })
      .filter({ hasText: "$38.25" }).waitFor();
    await shot("metal-price-set");

    // a message template: the chain's French wording of a booked viewing
    await page.getByRole("link", { name: "Message templates" }).click();
    await page.getByRole("button", { name: /^appointment booked/ }).click();
    const editor = page.getByRole("region", { name: /Wording/ });
    await editor.getByLabel("Channel").selectOption("sms");
    await editor.getByLabel("Language").fill("fr");
    await editor.getByLabel("For").selectOption("chain");
    await editor.getByLabel("Message").fill("Bonjour {first_name}, {nope}");
    await editor.getByRole("button", { name: "Save wording" }).click();
    await editor.getByRole("alert").filter({ hasText: "nope" }).waitFor();
    await shot("template-unknown-placeholder");
    problems.length = 0; // the expected 422
    await editor.getByLabel("Message").fill("Bonjour , votre rendez-vous est confirmé.");
    await editor.getByLabel("Message").click();
    await editor.getByLabel("Message").press("Home");
    for (let i = 0; i < 8; i++) await editor.getByLabel("Message").press("ArrowRight");
    await editor.getByRole("button", { name: "Insert {first_name}" }).click();
    await editor.getByRole("button", { name: "Save wording" }).click();
    await editor.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await editor.getByText(/characters · GSM-7|characters · UCS-2/).waitFor();
    const saved = (await api.get("/message-templates?trigger=appointment_booked&channel=sms&language=fr")).items
      .find((t) => !t.store_id);
    assert.equal(saved.body, "Bonjour {first_name}, votre rendez-vous est confirmé.");
    await shot("template-saved");
    assert.deepEqual(await axe(page), []);

    // the stores, each editable by HQ; a vendor's contact changed
    await page.getByRole("link", { name: "Stores" }).click();
    await page.getByRole("button", { name: "Edit NYC" }).click();
    await page.getByRole("heading", { name: `Edit NYC · ${nyc.name}` }).waitFor();
    await page.getByRole("button", { name: "Cancel" }).click();
    const vendor = await api.post("/vendors", { name: `Atelier ${crypto.randomUUID().slice(0, 6)}` }, 201);
    await page.getByRole("link", { name: "Vendors" }).click();
    await page.getByRole("button", { name: `Edit ${vendor.name}` }).click();
    await page.getByLabel("E-mail").fill("orders@atelier.example");
    await page.getByRole("button", { name: "Save vendor" }).click();
    await page.getByRole("cell", { name: "email: orders@atelier.example" }).first().waitFor();
    assert.equal((await api.get("/vendors?limit=200")).items.find((v) => v.id === vendor.id).contact.email,
      "orders@atelier.example");
    await shot("vendor-edited");

    // a store manager of MIA: MIA's users only, no rate or price to change
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("Signed out.").waitFor(); // the session is gone before the next sign-in
    await signIn(page, manager);
    await section(page, "Admin");
    const theirs = page.getByRole("region", { name: "Users of your stores" });
    await theirs.getByRole("cell", { name: miaAssociate.username }).waitFor();
    assert.equal(await theirs.getByRole("cell", { name: username }).count(), 0);
    assert.equal(await page.getByRole("region", { name: "New user" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /Reset password/ }).count(), 0);
    await shot("manager-users");
    assert.deepEqual(await axe(page), []);
    await page.getByRole("link", { name: "FX rates" }).click();
    await page.getByRole("cell", { name: "1 CHF" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Add rate" }).count(), 0);
    await page.getByRole("link", { name: "Metal prices" }).click();
    // a manager may set one (the API reprices only their stores' pieces)
    await page.getByRole("button", { name: "Set price" }).waitFor();
    await page.getByRole("link", { name: "Message templates" }).click();
    const scopes = await page.getByLabel("For").locator("option").allTextContents();
    assert.deepEqual(scopes, [`MIA · ${mia.name} only`]);
    await shot("manager-templates");
    assert.deepEqual(problems, []);
  }));
