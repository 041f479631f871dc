// The counter's offline sales: queued with the cart's Idempotency-Key while
// the gateway is unreachable, sent again in the order they were made when it
// answers (the `online` event and a periodic try). Each answer is final:
// 201 → sent; a refusal (409 piece_unavailable, say: the server failed the
// sale, nothing was charged) → a conflict a store manager resolves; no answer
// (the network, a 5xx) → stop, the order kept, try again later.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import * as db from "./db";

export type { OfflineSale } from "./db";

const changes = new EventTarget();
let unreachable = false;
let running: Promise<void> | null = null;

function changed() {
  changes.dispatchEvent(new Event("change"));
}

/** A failed fetch: the gateway could not be reached (not an answer from it). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError;
}

/** Offline: the browser says so, or the last call could not reach the gateway. */
export function offline(): boolean {
  return !navigator.onLine || unreachable;
}

export function markUnreachable(value = true) {
  if (unreachable !== value) {
    unreachable = value;
    changed();
  }
}

/** Keep a sale to send later; its pieces leave the list of sellable ones (never sold twice here). */
export async function enqueue(sale: Omit<db.OfflineSale, "seq" | "state" | "created_at">): Promise<db.OfflineSale> {
  const kept = await db.sales();
  const entry: db.OfflineSale = {
    ...sale, seq: (kept.at(-1)?.seq ?? 0) + 1, state: "waiting", created_at: new Date().toISOString(),
  };
  await db.keepSale(entry);
  await db.dropPieces(sale.lines.map((l) => l.id));
  changed();
  return entry;
}

export async function save(sale: db.OfflineSale) {
  await db.keepSale(sale);
  changed();
}

export const sales = db.sales;

/** Whether a piece is in an offline sale not sent yet. */
export async function inQueue(itemId: string): Promise<boolean> {
  return (await db.sales()).some((s) => s.state === "waiting" && s.lines.some((l) => l.id === itemId));
}

/** The store's in-stock pieces kept for offline sales (not those of a sale waiting to be sent). */
export async function refreshPieces(storeId: string): Promise<number> {
  const items = await api.allPages<api.Item>("/items", { store_id: storeId, status: "in_stock" }, 5000);
  const queued = new Set((await db.sales()).filter((s) => s.state === "waiting").flatMap((s) => s.lines.map((l) => l.id)));
  const sellable = items.filter((i) => !queued.has(i.id ?? ""));
  await db.keepPieces(storeId, sellable);
  return sellable.length;
}

export const pieceByTag = db.pieceByTag;

/** Whether the gateway answers again (after a call that could not reach it). */
async function reachable(): Promise<boolean> {
  try {
    await fetch("/health", { cache: "no-store" });
    markUnreachable(false);
    return true;
  } catch {
    return false;
  }
}

/** Send the waiting sales, oldest first; one run at a time. */
export function replay(): Promise<void> {
  if (!running) {
    running = (async () => {
      if (unreachable && !(await reachable())) return;
      for (const sale of await db.sales()) {
        if (sale.state !== "waiting") continue;
        try {
          const view = await api.sell(sale.body, sale.key, { waitMs: 15_000 });
          sale.state = "sent";
          sale.answer = { sale_id: view.id, receipt_number: view.receipt_number ?? undefined };
          markUnreachable(false);
        } catch (e) {
          if (!(e instanceof api.ApiError) || e.status === 401 || e.status >= 500) {
            if (isNetworkError(e)) markUnreachable();
            return; // no answer: the rest waits, in order
          }
          const failed = e.problem as { failure_code?: string; failure_reason?: string };
          sale.state = "conflict";
          sale.answer = { code: failed.failure_code ?? String(e.status), detail: failed.failure_reason ?? e.message };
          markUnreachable(false);
        }
        await db.keepSale(sale);
        changed();
      }
    })().finally(() => {
      running = null;
    });
  }
  return running;
}

/** The offline sales as they change (the banner, the conflicts). */
export function useOfflineSales(): { sales: db.OfflineSale[]; offline: boolean } {
  const [state, setState] = useState<{ sales: db.OfflineSale[]; offline: boolean }>({ sales: [], offline: offline() });
  useEffect(() => {
    let live = true;
    const load = () => void db.sales().then((s) => live && setState({ sales: s, offline: offline() })).catch(() => {});
    load();
    changes.addEventListener("change", load);
    window.addEventListener("online", load);
    window.addEventListener("offline", load);
    return () => {
      live = false;
      changes.removeEventListener("change", load);
      window.removeEventListener("online", load);
      window.removeEventListener("offline", load);
    };
  }, []);
  return state;
}

/** While mounted: replay now, when the browser is back online, and every ``everyMs``. */
export function useReplay(everyMs = 15_000) {
  useEffect(() => {
    const tryNow = () => {
      if (navigator.onLine) void replay().catch(() => {});
    };
    tryNow();
    window.addEventListener("online", tryNow);
    const timer = window.setInterval(tryNow, everyMs);
    return () => {
      window.removeEventListener("online", tryNow);
      window.clearInterval(timer);
    };
  }, []);
}
