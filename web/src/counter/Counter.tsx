// The counter's first flow: scan or type a tag and Enter, a cart, a cash tender
// with change due, the sale (with an Idempotency-Key: a retry never sells twice)
// and its receipt.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { bpsOf, format, parseMajor } from "../money";

export interface Cart {
  items: api.Item[];
  key: string; // the Idempotency-Key of this cart's sale
}

export const emptyCart = (): Cart => ({ items: [], key: crypto.randomUUID() });

interface Props {
  store: api.Store;
  cart: Cart;
  setCart: (cart: Cart) => void;
}

export function Counter({ store, cart, setCart }: Props) {
  const currency = store.currency ?? "USD";
  const money = (amount: number) => format(amount, currency);
  const [tag, setTag] = useState("");
  const [received, setReceived] = useState("");
  const [error, setError] = useState<{ field: string; messages: string[] } | null>(null);
  const [sale, setSale] = useState<{ view: api.SaleView; change: number } | null>(null);
  const [receipt, setReceipt] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const tagInput = useRef<HTMLInputElement>(null);

  const subtotal = cart.items.reduce((sum, item) => sum + (item.price?.amount ?? 0), 0);
  const tax = bpsOf(subtotal, store.tax_rate_bps ?? 0);
  const total = subtotal + tax;
  const given = parseMajor(received, currency);

  useEffect(() => tagInput.current?.focus(), [sale]);

  function fail(field: string, e: unknown, fields: string[] = [field]) {
    if (e instanceof api.ApiError) {
      const named = e.about(...fields);
      setError({ field, messages: named.length ? named : [e.message] });
    } else setError({ field, messages: [String(e)] });
  }

  async function scan(event: Event) {
    event.preventDefault();
    const code = tag.trim();
    if (!code) return;
    setError(null);
    try {
      const item = await api.itemByTag(code);
      if (item.status !== "in_stock") throw new Error(`${item.tag} is ${item.status?.replace(/_/g, " ")}, not for sale`);
      if (item.store_id !== store.id) throw new Error(`${item.tag} is in another store`);
      if (cart.items.some((i) => i.id === item.id)) throw new Error(`${item.tag} is already in the cart`);
      setCart({ items: [...cart.items, item], key: crypto.randomUUID() });
      setTag("");
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) setError({ field: "tag", messages: [`No piece has the tag ${code}`] });
      else fail("tag", e, ["tag"]);
    }
  }

  function remove(id: string | undefined) {
    setCart({ items: cart.items.filter((i) => i.id !== id), key: crypto.randomUUID() });
    tagInput.current?.focus();
  }

  async function takeCash(event: Event) {
    event.preventDefault();
    if (given === null || given < total) {
      setError({ field: "received", messages: [`Enter the cash received, at least ${money(total)}`] });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const view = await api.sell(
        {
          store_id: store.id!,
          lines: cart.items.map((item) => ({ item_id: item.id })),
          tenders: [{ method: "cash", amount: { amount: total, currency }, received: { amount: given, currency } }],
        },
        cart.key,
      );
      if (view.status !== "completed") {
        setCart({ ...cart, key: crypto.randomUUID() }); // answered: another try is another sale
        throw new Error(view.failure_reason ?? "the sale did not complete");
      }
      setSale({ view, change: given - (view.total?.amount ?? total) });
      setCart({ items: [], key: crypto.randomUUID() });
      setReceived("");
    } catch (e) {
      // The gateway keeps a refusal (4xx) under its key: the corrected sale needs a new
      // one. A lost answer or a 5xx keeps the key, so a retry never sells twice.
      if (e instanceof api.ApiError && e.status < 500) setCart({ ...cart, key: crypto.randomUUID() });
      const lines = e instanceof api.ApiError && e.about("lines").length;
      if (lines) fail("tag", e, ["lines"]);
      else fail("received", e, ["tenders", "client_id", "store_id"]);
    } finally {
      setBusy(false);
    }
  }

  async function showReceipt() {
    if (!sale?.view.id) return;
    try {
      setReceipt(await api.receiptHtml(sale.view.id));
    } catch (e) {
      fail("receipt", e);
    }
  }

  function next() {
    setSale(null);
    setReceipt(null);
  }

  if (sale) {
    return (
      <section class="done" aria-label="Sale completed">
        <h2>Sale {sale.view.receipt_number} completed</h2>
        <p>Total {money(sale.view.total?.amount ?? 0)}</p>
        <p class="change">Change due <output>{money(sale.change)}</output></p>
        <div class="actions">
          <button type="button" onClick={showReceipt}>Receipt</button>
          <button type="button" onClick={next} autofocus>New sale</button>
        </div>
        <FieldError messages={error?.field === "receipt" ? error.messages : undefined} />
        {receipt !== null && <iframe class="receipt" title="Receipt" sandbox="" srcdoc={receipt} />}
      </section>
    );
  }

  return (
    <div class="counter">
      <section aria-label="Cart">
        <form onSubmit={scan}>
          <label>
            Tag
            <input ref={tagInput} name="tag" autocomplete="off" placeholder="scan or type a tag, then Enter"
              value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          </label>
          <FieldError messages={error?.field === "tag" ? error.messages : undefined} />
        </form>
        <table class="cart">
          <thead>
            <tr><th>Tag</th><th>Piece</th><th class="amount">Price</th><th /></tr>
          </thead>
          <tbody>
            {cart.items.map((item) => (
              <tr key={item.id}>
                <td>{item.tag}</td>
                <td>{item.description}</td>
                <td class="amount">{money(item.price?.amount ?? 0)}</td>
                <td><button type="button" onClick={() => remove(item.id)} aria-label={`Remove ${item.tag}`}>Remove</button></td>
              </tr>
            ))}
            {!cart.items.length && (
              <tr><td colSpan={4} class="empty">The cart is empty: scan a piece's tag.</td></tr>
            )}
          </tbody>
        </table>
      </section>
      <section aria-label="Tender" class="tender">
        <dl>
          <dt>Subtotal</dt><dd>{money(subtotal)}</dd>
          <dt>Tax {(store.tax_rate_bps ?? 0) / 100}%</dt><dd>{money(tax)}</dd>
          <dt class="total">Total</dt><dd class="total">{money(total)}</dd>
        </dl>
        <form onSubmit={takeCash}>
          <label>
            Cash received
            <input name="received" inputMode="decimal" autocomplete="off" value={received}
              disabled={!cart.items.length} onInput={(e) => setReceived(e.currentTarget.value)} />
          </label>
          <FieldError messages={error?.field === "received" ? error.messages : undefined} />
          <p class="change">
            Change due <output>{given !== null && given >= total ? money(given - total) : "—"}</output>
          </p>
          <button type="submit" disabled={busy || !cart.items.length}>Take cash</button>
        </form>
      </section>
    </div>
  );
}
