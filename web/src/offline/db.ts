// What the counter keeps in the browser to sell with the gateway unreachable
// (IndexedDB, one database): the store's sellable pieces, refreshed while
// online, and the offline sales waiting to be sent, each with its own
// Idempotency-Key (the cart's), in the order they were made.
import type * as api from "../api";

export type SaleState = "waiting" | "sent" | "conflict" | "refunded" | "substituted";

export interface OfflineLine {
  id: string;
  tag: string;
  description: string;
  net: number; // after its discount, before tax
}

export interface OfflineSale {
  key: string; // the Idempotency-Key: sent again with it, a sale is never made twice
  seq: number; // the order it was made in
  store_id: string;
  currency: string;
  created_at: string;
  body: api.SaleRequest;
  lines: OfflineLine[];
  cash: number; // what the counter took (the total)
  received: number; // what the client handed over
  state: SaleState;
  answer?: { sale_id?: string; receipt_number?: string; code?: string; detail?: string };
  /** The drawer movements' keys of a refund, kept before they are sent (a retry moves cash once). */
  refundKeys?: { cashIn: string; cashOut: string };
  substituteKey?: string;
  resolved_at?: string;
}

const NAME = "console-offline";
let opened: Promise<IDBDatabase> | null = null;

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function database(): Promise<IDBDatabase> {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        const pieces = db.createObjectStore("pieces", { keyPath: "id" });
        pieces.createIndex("store_tag", ["store_id", "tag"]);
        pieces.createIndex("store", "store_id");
        db.createObjectStore("sales", { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    opened.catch(() => (opened = null));
  }
  return opened;
}

async function store(name: "pieces" | "sales", mode: IDBTransactionMode = "readonly") {
  return (await database()).transaction(name, mode).objectStore(name);
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** The store's sellable pieces, replacing what was kept for it. */
export async function keepPieces(storeId: string, items: api.Item[]): Promise<void> {
  const tx = (await database()).transaction("pieces", "readwrite");
  const pieces = tx.objectStore("pieces");
  const old = await done(pieces.index("store").getAllKeys(IDBKeyRange.only(storeId)));
  old.forEach((id) => pieces.delete(id));
  items.forEach((item) => pieces.put(item));
  await committed(tx);
}

export async function pieceByTag(storeId: string, tag: string): Promise<api.Item | undefined> {
  return done((await store("pieces")).index("store_tag").get([storeId, tag]));
}

export async function dropPieces(ids: string[]): Promise<void> {
  const tx = (await database()).transaction("pieces", "readwrite");
  ids.forEach((id) => tx.objectStore("pieces").delete(id));
  await committed(tx);
}

/** Every offline sale kept, oldest first. */
export async function sales(): Promise<OfflineSale[]> {
  const all: OfflineSale[] = await done((await store("sales")).getAll());
  return all.sort((a, b) => a.seq - b.seq);
}

export async function keepSale(sale: OfflineSale): Promise<void> {
  const tx = (await database()).transaction("sales", "readwrite");
  tx.objectStore("sales").put(sale);
  await committed(tx);
}
