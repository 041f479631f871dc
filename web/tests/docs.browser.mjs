// /docs, the API console for integrators (Swagger UI from the build, nothing
// from a CDN): sign in with POST /auth/token from the page, then GET /me is
// authorized by that sign-in without copying the token by hand ("try it out"
// is on from the start).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, URL, withPage } from "./support.mjs";

test("an integrator signs in on /docs and tries a call", () =>
  withPage(import.meta.url, async ({ page, problems, shot }) => {
    const elsewhere = [];
    page.on("request", (r) => !r.url().startsWith(URL) && !r.url().startsWith("data:") && elsewhere.push(r.url()));
    await page.goto("/docs");
    await page.locator("#operations-tag-users").waitFor(); // every tag is there, folded
    await shot("api-console");
    await page.locator("#operations-tag-auth").click();
    const signIn = page.locator("#operations-auth-issue_token");
    await signIn.locator(".opblock-summary").click();
    await signIn.locator("textarea.body-param__text").fill(JSON.stringify(
      { username: ADMIN.username, password: ADMIN.password }));
    await signIn.getByRole("button", { name: "Execute" }).click();
    await signIn.locator(".live-responses-table tr.response .response-col_status").first().waitFor();
    assert.match(await signIn.locator(".live-responses-table tr.response .response-col_status").first().innerText(), /200/);

    await page.locator("#operations-tag-me").click();
    const me = page.locator("#operations-me-me");
    await me.locator(".opblock-summary").click();
    await me.getByRole("button", { name: "Execute" }).click();
    const status = me.locator(".live-responses-table tr.response .response-col_status").first();
    await status.waitFor();
    assert.match(await status.innerText(), /200/);
    assert.match(await me.locator(".live-responses-table .microlight, .live-responses-table pre").first().innerText(),
      new RegExp(ADMIN.username.replace(".", "\\.")));
    await me.scrollIntoViewIfNeeded();
    await shot("signed-in-call", { fullPage: false });
    assert.deepEqual(elsewhere, [], "the page fetched nothing from another host");
    assert.deepEqual(problems, []);
  }));
