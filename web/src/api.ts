// The console's only way to the gateway: its calls, typed from the gateway's
// OpenAPI document (src/api.gen.ts, generated at build time), the session's
// tokens (refreshed before the access token ends) and problem+json errors.
import type { components } from "./api.gen";

/** Every schema of the gateway's OpenAPI document, by name (``S["Item"]``). */
export type S = components["schemas"];
export type TokenReply = S["TokenReply"];
export type TokenRequest = S["TokenRequest"];
export type Me = S["Me"];
export type Store = S["Store"];
export type Item = S["Item"];
export type SaleRequest = S["SaleRequest"];
export type SaleView = S["SaleView"];
export type Problem = S["Problem"];

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
  /** The messages about ``field`` and the fields under it (``tenders`` covers ``tenders.0.amount``). */
  about(...fields: string[]): string[] {
    const errors = this.problem.errors ?? {};
    return Object.entries(errors)
      .filter(([name]) => fields.some((f) => name === f || name.startsWith(f + ".")))
      .flatMap(([, messages]) => messages);
  }
}

/**
 * Whether a change must be sent again under a new ``Idempotency-Key``: the
 * gateway keeps a refusal (4xx) under its key, so the corrected change needs a
 * new one; a 5xx or a lost answer keeps the key, so a retry never does it twice.
 */
export function needsNewKey(error: unknown): boolean {
  return error instanceof ApiError && error.status < 500;
}

const REFRESH_EARLY_S = 60;
const KEY = "console.session";

interface Tokens {
  access: string;
  refresh: string;
}

let tokens: Tokens | null = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
let storeId: string | null = null;
let timer: number | undefined;
let refreshing: Promise<boolean> | null = null;
let onEnded: () => void = () => {};

export function whenSessionEnds(callback: () => void) {
  onEnded = callback;
}

export function signedIn(): boolean {
  return tokens !== null;
}

export function actAt(store: string | null) {
  storeId = store;
}

function keep(reply: TokenReply) {
  tokens = { access: reply.access_token ?? "", refresh: reply.refresh_token ?? "" };
  sessionStorage.setItem(KEY, JSON.stringify(tokens));
  window.clearTimeout(timer);
  const seconds = Math.max((reply.expires_in ?? 900) - REFRESH_EARLY_S, 5);
  timer = window.setTimeout(() => void refresh(), seconds * 1000);
}

function forget() {
  tokens = null;
  sessionStorage.removeItem(KEY);
  window.clearTimeout(timer);
}

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const sent: Record<string, string> = { Accept: "application/json, text/html", ...headers };
  const form = body instanceof FormData;
  if (body !== undefined && !form) sent["Content-Type"] = "application/json";
  if (tokens) sent.Authorization = `Bearer ${tokens.access}`;
  if (storeId) sent["X-Store-Id"] = storeId;
  const sentBody = body === undefined ? undefined : form ? (body as FormData) : JSON.stringify(body);
  return fetch(path, { method, headers: sent, body: sentBody });
}

async function failure(response: Response): Promise<ApiError> {
  let problem: Problem = { status: response.status, title: response.statusText };
  try {
    problem = (await response.json()) as Problem;
  } catch {
    /* not problem+json: keep the status line */
  }
  return new ApiError(response.status, problem);
}

/** Spend the refresh token once (one refresh at a time); false: the session is over. */
export function refresh(): Promise<boolean> {
  if (!refreshing) {
    refreshing = (async () => {
      if (!tokens) return false;
      const response = await fetch("/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: tokens.refresh }),
      });
      if (!response.ok) {
        forget();
        onEnded();
        return false;
      }
      keep((await response.json()) as TokenReply);
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** A call; a 401 refreshes once and repeats it, a dead session goes back to sign-in. */
async function call(method: string, path: string, body?: unknown, headers?: Record<string, string>) {
  let response = await send(method, path, body, headers);
  if (response.status === 401 && tokens && (await refresh())) {
    response = await send(method, path, body, headers);
  }
  if (response.status === 401 && tokens) {
    forget();
    onEnded();
  }
  if (!response.ok) throw await failure(response);
  return response;
}

/** ``path?name=value&...``; empty, null and undefined values are left out. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== "");
  if (!pairs.length) return path;
  return `${path}?${new URLSearchParams(pairs.map(([k, v]) => [k, String(v)])).toString()}`;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** GET a JSON answer, typed with the schema the caller names (``getJson<S["Item"]>(...)``). */
export async function getJson<T>(path: string, query?: Query): Promise<T> {
  return (await call("GET", withQuery(path, query))).json() as Promise<T>;
}

/** Every page of a ``{items, next_cursor}`` list (at most ``max`` items). */
export async function allPages<T>(path: string, query: Query = {}, max = 2000): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null | undefined = undefined;
  do {
    const page: { items?: T[]; next_cursor?: string | null } = await getJson(path, { limit: 200, ...query, cursor });
    out.push(...(page.items ?? []));
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

export interface SendOptions {
  /** The ``Idempotency-Key``: the same key never does the change twice (keep it for a retry). */
  idempotencyKey?: string;
}

/** POST, PUT, PATCH or DELETE with a JSON body; a 204 answers ``undefined``. */
export async function sendJson<T = unknown>(
  method: "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
  options: SendOptions = {},
): Promise<T> {
  const headers: Record<string, string> = options.idempotencyKey ? { "Idempotency-Key": options.idempotencyKey } : {};
  const response = await call(method, path, body, headers);
  if (response.status === 204 || response.headers.get("Content-Length") === "0") return undefined as T;
  return response.json() as Promise<T>;
}

/** A multipart form (a photo from the camera, say); JSON back. */
export async function sendForm<T = unknown>(method: "POST" | "PUT", path: string, form: FormData,
  options: { idempotencyKey?: string } = {}): Promise<T> {
  const response = await call(method, path, form,
    options.idempotencyKey ? { "Idempotency-Key": options.idempotencyKey } : undefined);
  if (response.status === 204) return undefined as T;
  return response.json() as Promise<T>;
}

/** An HTML or CSV answer as text (a receipt, an envelope, a report's CSV). */
export async function getText(path: string, query?: Query, accept = "text/html"): Promise<string> {
  return (await call("GET", withQuery(path, query), undefined, { Accept: accept })).text();
}

/** A binary answer (a PDF, a photo) as a Blob; ``URL.createObjectURL`` shows it. */
export async function getBlob(path: string, query?: Query, accept = "*/*"): Promise<Blob> {
  return (await call("GET", withQuery(path, query), undefined, { Accept: accept })).blob();
}

/** Who is signed in and at which store: set by the frame, read by every screen. */
export function currentStoreId(): string | null {
  return storeId;
}

export async function signIn(request: TokenRequest): Promise<TokenReply> {
  const response = await fetch("/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!response.ok) throw await failure(response);
  const reply = (await response.json()) as TokenReply;
  keep(reply);
  return reply;
}

export async function signOut() {
  try {
    if (tokens) await send("POST", "/auth/logout");
  } finally {
    forget();
  }
}

export const me = async (): Promise<Me> => (await call("GET", "/me")).json();

export const stores = async (): Promise<Store[]> =>
  ((await (await call("GET", "/stores?limit=200")).json()) as S["StorePage"]).items ?? [];

export const itemByTag = async (tag: string): Promise<Item> =>
  (await call("GET", `/items/by-tag/${encodeURIComponent(tag)}`)).json();

/** Sell; a 202 (the sale still in flight: a card waiting on the reader, or another
 * request with this key driving it) is shown through ``onWaiting`` and asked again
 * with the same key after its Retry-After, for up to ``waitMs``; then it is an error
 * that keeps the key, so the next press of the button asks again, never sells twice. */
export async function sell(sale: SaleRequest, idempotencyKey: string,
  { onWaiting, waitMs = 60_000 }: { onWaiting?: (view: SaleView) => void; waitMs?: number } = {}): Promise<SaleView> {
  const until = Date.now() + waitMs;
  for (;;) {
    const response = await call("POST", "/sales", sale, { "Idempotency-Key": idempotencyKey });
    if (response.status !== 202) return response.json();
    onWaiting?.((await response.json()) as SaleView);
    const wait = Math.min(Math.max(Number(response.headers.get("Retry-After")) || 2, 1), 10) * 1000;
    if (Date.now() + wait > until) {
      throw new Error("The sale is still being processed: press the button again in a moment to see how it ended");
    }
    await new Promise((done) => setTimeout(done, wait));
  }
}

export const receiptHtml = async (saleId: string): Promise<string> =>
  (await call("GET", `/sales/${saleId}/receipt.html`)).text();
