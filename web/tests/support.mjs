// What every browser test of the console shares: Debian's chromium (headless,
// never downloaded), the chain's API as the HQ admin (to set a scene up), users
// of each role made for the test, sign-in through the page, screenshots kept in
// screenshots/<test>/ (git-ignored) and axe-core run in the page.
//
// The chain comes from tests/browser/test_console.py (make test), which sets
// CONSOLE_URL, CONSOLE_USERNAME and CONSOLE_PASSWORD (an hq_admin) and CHROMIUM.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { chromium } from "playwright-core";

export const URL = (process.env.CONSOLE_URL ?? "http://127.0.0.1:8000").replace(/\/$/, "");
export const ADMIN = {
  username: process.env.CONSOLE_USERNAME ?? "admin",
  password: process.env.CONSOLE_PASSWORD ?? "showcase-velvet-tray-7",
};
export const PASSWORD = "console-test-password-7";

/** The HTTP API as one user: ``await api.call("GET", "/items", undefined, 200)``. */
export class Api {
  constructor(token) {
    this.token = token;
  }

  static async signIn(username, password) {
    const response = await fetch(`${URL}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 200, `sign-in as ${username}: ${await response.clone().text()}`);
    return new Api((await response.json()).access_token);
  }

  /** ``expect``: the status the scene needs (a test fails loudly when it is another). */
  async call(method, path, body, expect, headers = {}) {
    const response = await fetch(`${URL}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (expect !== undefined) assert.equal(response.status, expect, `${method} ${path}: ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  }

  get = (path, expect = 200) => this.call("GET", path, undefined, expect);
  post = (path, body, expect) => this.call("POST", path, body, expect, { "Idempotency-Key": crypto.randomUUID() });

  async store(code) {
    const stores = await this.get("/stores?limit=200");
    const store = stores.items.find((s) => s.code === code);
    assert.ok(store, `no store ${code}`);
    return store;
  }

  /** A new user of ``role`` at ``stores`` (store objects); their username, password and id. */
  async user(role, stores = []) {
    const username = `${role.replace("_", "-")}-${crypto.randomUUID().slice(0, 6)}`;
    const body = { username, password: PASSWORD, role, store_ids: stores.map((s) => s.id) };
    const created = await this.call("POST", "/users", body, 201);
    return { username, password: PASSWORD, id: created.id, role };
  }

  /** ``count`` new pieces received at ``store`` for this scene alone (scenes run side by side:
   * two that took the same demo piece would sell it twice). Each has a description of its own. */
  async newPieces(store, count, { price = 148000, category = "pendant" } = {}) {
    const word = () => Array.from({ length: 6 }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(Math.random() * 26)]).join("");
    return Promise.all(Array.from({ length: count }, (_, n) => this.post("/items", {
      store_id: store.id, category, description: `Sterling ${category} ${word()}`,
      metal: { type: "silver", fineness: 925, weight_g: "4.200" },
      price: { amount: price + n * 1000, currency: store.currency ?? "USD" },
    }, 201)));
  }
}

export const admin = () => Api.signIn(ADMIN.username, ADMIN.password);

/** A headless chromium page at 1024x768 (``viewport`` to change it) that records the page's errors. */
export async function open(testFile, { viewport = { width: 1024, height: 768 } } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic"],
  });
  const context = await browser.newContext({ viewport, baseURL: URL });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(String(e)));
  const dir = new globalThis.URL(`../screenshots/${basename(testFile).replace(/\.browser\.mjs$/, "")}/`,
    import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    browser,
    context,
    page,
    /** The browser's console errors and uncaught exceptions so far (expected 4xx: ``problems.length = 0``). */
    problems,
    /** Save ``NN-name.png`` in this test's screenshot folder. */
    shot: (name, options = {}) => page.screenshot({ path: `${dir}${String(++n).padStart(2, "0")}-${name}.png`, ...options }),
    close: async (failed) => {
      if (failed) await page.screenshot({ path: `${dir}99-failure.png`, fullPage: true }).catch(() => {});
      await browser.close();
    },
  };
}

/** Sign in through the page as ``user`` (keyboard only; the username field has the focus). */
export async function signIn(page, user) {
  await page.goto(`${URL}/`);
  await page.getByLabel("Username").waitFor();
  await page.keyboard.type(user.username);
  await page.keyboard.press("Tab");
  await page.keyboard.type(user.password);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** Pick a store in the frame's switcher (for users of more than one store). */
export async function pickStore(page, store) {
  await page.getByRole("combobox", { name: "Store" }).selectOption({ label: `${store.code} · ${store.name}` });
}

/** Go to a section of the console (Counter, Bench, Clients, Stock, HQ, Admin). */
export async function section(page, label) {
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: label, exact: true }).click();
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core on the page as it is now: the serious and critical violations (none expected). */
export async function axe(page) {
  // evaluated over the DevTools protocol: the console's CSP (no inline script) stays on
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const run = await window.axe.run(document, { resultTypes: ["violations"] });
    return run.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join("; ")})`);
  });
  return result;
}

/** A test body with a page; the failure screenshot is taken and the browser closed whatever happens. */
export async function withPage(testFile, body, options) {
  const session = await open(testFile, options);
  let failed = true;
  try {
    await body(session);
    failed = false;
  } finally {
    await session.close(failed);
  }
}
