// The sale at the counter: scan a tag (or find a piece by words), a cart with
// discounts by line, the client, tenders split any way that adds up to the
// total, the sale (with an Idempotency-Key: a retry never sells twice) and its
// receipt. Everything by keyboard: Tab and Enter reach every step, and the
// focus goes where the next step is. With the gateway unreachable: the piece
// from the store's list kept offline, cash only, and the sale kept to be sent
// when the connection returns, with its provisional receipt (offline/).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { bpsOf, format } from "../money";
import { Provisional } from "../offline/Provisional";
import * as queue from "../offline/queue";
import { useProblems } from "../problem";
import { CartTable, discountOf, type LineDiscount } from "./CartTable";
import { ClientPanel } from "./ClientPanel";
import { ReceiptView } from "./ReceiptView";
import { SaleSearch } from "./SaleSearch";
import { OFFLINE_CASH_ONLY, TenderForm, tenderBody, tenderLabel, type TenderDraft } from "./TenderForm";
import "./sale.css";

export type Client = api.S["ClientSummary"];

export interface Cart {
  items: api.Item[];
  key: string; // the Idempotency-Key of this cart's sale
  discounts?: Record<string, LineDiscount>; // by item id
  client?: Client | null;
  tenders?: TenderDraft[];
}

export const emptyCart = (): Cart => ({ items: [], key: crypto.randomUUID(), discounts: {}, client: null, tenders: [] });

interface Props {
  store: api.Store;
  cart: Cart;
  setCart: (cart: Cart) => void;
}

/** What the server said about a discount it refused for the caller's role, and the limit it named. */
const DISCOUNT_LIMIT = /discount above ([\d.]+)%/;
let knownLimit: { user: string; bps: number } | null = null;

export function Counter({ store, cart, setCart }: Props) {
  const currency = store.currency ?? "USD";
  const money = (amount: number) => format(amount, currency);
  const [me, setMe] = useState<api.Me | null>(null);
  const [tag, setTag] = useState("");
  const [tagError, setTagError] = useState<string[] | undefined>();
  const [lineNotes, setLineNotes] = useState<Record<string, string[]>>({});
  const [exempt, setExempt] = useState<string | null>(null); // the certificate id when tax exempt
  const [sale, setSale] = useState<{ view: api.SaleView; client: Client | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<api.SaleView | null>(null); // a card on the reader, say
  const [readers, setReaders] = useState<api.S["ReaderView"][]>([]);
  const [queued, setQueued] = useState<queue.OfflineSale | null>(null); // a sale kept offline
  const [kept, setKept] = useState<number | null>(null); // pieces kept for offline sales
  const { offline } = queue.useOfflineSales();
  const problems = useProblems();
  const tagInput = useRef<HTMLInputElement>(null);
  const tenderFocus = useRef<() => void>(() => {});

  useEffect(() => {
    api.me().then(setMe).catch(() => setMe(null));
  }, []);
  useEffect(() => {
    api.getJson<api.S["ReaderList"]>("/terminal/readers", { store_id: store.id })
      .then((list) => setReaders(list.items ?? [])).catch(() => setReaders([]));
  }, [store.id]);
  useEffect(() => {
    // the store's sellable pieces, kept for a sale with the gateway unreachable
    if (queue.offline()) return;
    queue.refreshPieces(store.id!).then(setKept).catch(() => {});
  }, [store.id]);
  useLayoutEffect(() => {
    if (!sale && !queued) tagInput.current?.focus();
  }, [sale, queued]);

  const discounts = cart.discounts ?? {};
  const tenders = cart.tenders ?? [];
  const lines = cart.items.map((item) => {
    const list = item.price?.amount ?? 0;
    const off = discountOf(discounts[item.id ?? ""], list);
    return { item, list, off, net: list - off };
  });
  const gross = lines.reduce((sum, l) => sum + l.list, 0);
  const off = lines.reduce((sum, l) => sum + l.off, 0);
  const subtotal = gross - off;
  const tax = exempt !== null ? 0 : bpsOf(subtotal, store.tax_rate_bps ?? 0);
  const total = subtotal + tax;
  const paid = tenders.reduce((sum, t) => sum + t.amount, 0);
  const remaining = total - paid;
  const manager = me?.role === "store_manager" || me?.role === "hq_admin";
  const limitBps = me && knownLimit?.user === me.id ? knownLimit.bps : null;

  /** Any change to what is sold is another sale: a new Idempotency-Key. */
  function change(patch: Partial<Cart>) {
    setCart({ ...cart, ...patch, key: crypto.randomUUID() });
  }

  function add(item: api.Item): string | null {
    if (item.status !== "in_stock") return `${item.tag} is ${item.status?.replace(/_/g, " ")}, not for sale`;
    if (item.store_id !== store.id) return `${item.tag} is in another store`;
    if (cart.items.some((i) => i.id === item.id)) return `${item.tag} is already in the cart`;
    change({ items: [...cart.items, item], tenders: [] });
    return null;
  }

  async function scan(event: Event) {
    event.preventDefault();
    const code = tag.trim();
    if (!code) return;
    setTagError(undefined);
    try {
      const refused = add(queue.offline() ? await keptPiece(code) : await api.itemByTag(code));
      if (refused) setTagError([refused]);
      else setTag("");
    } catch (e) {
      if (queue.isNetworkError(e)) {
        queue.markUnreachable();
        return void scan(event); // again, from the pieces kept offline
      }
      if (e instanceof api.ApiError && e.status === 404) setTagError([`No piece has the tag ${code}`]);
      else if (e instanceof NotKept) setTagError([e.message]);
      else setTagError([e instanceof Error ? e.message : String(e)]);
    }
  }

  /** Offline: the piece from the store's list kept in the browser. */
  async function keptPiece(code: string): Promise<api.Item> {
    const item = await queue.pieceByTag(store.id!, code);
    if (!item) throw new NotKept(`Offline: ${code} is not among this store's pieces kept for offline sales (unknown, or already sold)`);
    return item;
  }

  function remove(id: string) {
    const { [id]: _gone, ...rest } = discounts;
    change({ items: cart.items.filter((i) => i.id !== id), discounts: rest, tenders: [] });
    tagInput.current?.focus();
  }

  /** A discount within the limit the server named for this role; the message otherwise. */
  function setDiscount(id: string, discount: LineDiscount | null): string | null {
    const item = cart.items.find((i) => i.id === id);
    if (discount && item && limitBps !== null) {
      const list = item.price?.amount ?? 0;
      if (discountOf(discount, list) * 10000 > limitBps * list) {
        return `Your role may discount up to ${limitBps / 100}%: more needs a store manager`;
      }
    }
    const next = { ...discounts };
    if (discount) next[id] = discount;
    else delete next[id];
    setLineNotes({ ...lineNotes, [id]: [] });
    change({ discounts: next, tenders: [] });
    window.setTimeout(() => tagInput.current?.focus(), 0); // back to scanning
    return null;
  }

  function attach(client: Client | null) {
    change({ client, tenders: tenders.filter((t) => t.method !== "store_credit" && t.method !== "loyalty_points") });
    window.setTimeout(() => tenderFocus.current(), 0);
  }

  function addTender(draft: TenderDraft) {
    const next = [...tenders, draft];
    if (draft.amount === remaining) void sell(next);
    else change({ tenders: next });
  }

  function refused(e: unknown) {
    problems.set(e);
    if (!(e instanceof api.ApiError)) return;
    const limit = e.status === 403 ? DISCOUNT_LIMIT.exec(e.message) : null;
    if (limit) {
      // The server named the role's limit: the lines above it carry its message,
      // and the console offers no more than that from now on.
      const bps = Math.round(Number(limit[1]) * 100);
      if (me) knownLimit = { user: me.id ?? "", bps };
      const notes: Record<string, string[]> = {};
      for (const l of lines) {
        if (l.off && l.off * 10000 > bps * l.list) notes[l.item.id ?? ""] = [e.message];
      }
      setLineNotes(notes);
    } else {
      setLineNotes({});
    }
  }

  /** The gateway is unreachable: cash only, the sale kept with the cart's key to be sent later. */
  async function sellOffline(drafts: TenderDraft[], body: api.SaleRequest) {
    queue.markUnreachable();
    setCart({ ...cart, tenders: drafts });
    const other = drafts.filter((t) => t.method !== "cash");
    if (other.length) {
      problems.set(new Error(`${OFFLINE_CASH_ONLY} (remove: ${other.map(tenderLabel).join(", ")})`));
      return;
    }
    const entry = await queue.enqueue({
      key: cart.key, store_id: store.id!, currency, body,
      lines: lines.map(({ item, net }) => ({ id: item.id ?? "", tag: item.tag ?? "", description: item.description ?? "", net })),
      cash: total, received: drafts.reduce((sum, t) => sum + (t.received ?? t.amount), 0),
    });
    setQueued(entry);
    setCart(emptyCart());
    setExempt(null);
  }

  async function sell(drafts: TenderDraft[]) {
    setBusy(true);
    problems.clear();
    setLineNotes({});
    const body: api.SaleRequest = {
      store_id: store.id!,
      client_id: cart.client?.id ?? null,
      lines: lines.map(({ item }) => {
        const d = discounts[item.id ?? ""];
        return {
          item_id: item.id,
          discount: d
            ? d.percentBps !== undefined
              ? { percent_bps: d.percentBps, reason: d.reason }
              : { amount: { amount: d.amount ?? 0, currency }, reason: d.reason }
            : null,
        };
      }),
      tenders: drafts.map((t) => tenderBody(t, currency)),
      ...(exempt !== null ? { tax_exempt: true, tax_exempt_id: exempt || null } : {}),
    };
    try {
      if (queue.offline()) return await sellOffline(drafts, body);
      // a card on the reader may wait for the client's tap for minutes (TERMINAL_WAIT_SECONDS)
      const onReader = drafts.some((t) => t.readerId);
      const view = await api.sell(body, cart.key, { onWaiting: setWaiting, waitMs: onReader ? 330_000 : 60_000 });
      setSale({ view, client: cart.client ?? null });
      setCart(emptyCart());
      setExempt(null);
    } catch (e) {
      if (queue.isNetworkError(e)) return await sellOffline(drafts, body); // same key: sent again, sold once
      const answered = api.needsNewKey(e); // else a retry never sells twice
      setCart({ ...cart, tenders: drafts, key: answered ? crypto.randomUUID() : cart.key });
      const failure = e instanceof api.ApiError ? (e.problem as { failure_reason?: string }).failure_reason : undefined;
      if (failure) {
        problems.set(new Error(`The sale did not complete: ${failure}`));
        setLineNotes({});
      } else refused(e);
    } finally {
      setBusy(false);
      setWaiting(null);
    }
  }

  /** The client will not tap (or the card asks for what the counter cannot do): give the sale back. */
  async function cancelWait() {
    if (!waiting?.id) return;
    try {
      await api.sendJson("POST", `/sales/${waiting.id}/cancel-wait`, undefined, { idempotencyKey: crypto.randomUUID() });
    } catch (e) {
      // 402: given back; the sale's own request then answers how it ended
      if (!(e instanceof api.ApiError && e.status === 402)) problems.set(e);
    }
  }

  function next() {
    setSale(null);
    problems.clear();
  }

  if (queued) return <Provisional sale={queued} store={store} onNext={() => setQueued(null)} />;
  if (sale) return <ReceiptView sale={sale.view} store={store} client={sale.client} onNext={next} />;

  const lineErrors = (index: number, id: string) => {
    const named = problems.about(`lines.${index}`) ?? [];
    const note = lineNotes[id] ?? [];
    return named.length || note.length ? [...named, ...note] : undefined;
  };
  // what shows next to its line, tender or field; the rest (the tenders' sum, say) above the payment
  const claimed = [...lines.map((_, n) => `lines.${n}`), ...tenders.map((_, n) => `tenders.${n}`), "client_id", "tax_exempt_id"];
  const general = Object.values(lineNotes).some((n) => n.length) ? undefined : problems.rest(claimed);

  return (
    <div class="counter sale">
      <section aria-labelledby="cart-heading">
        <h2 id="cart-heading" class="sr-only">Cart</h2>
        <form onSubmit={scan}>
          <label>
            Tag
            <input ref={tagInput} name="tag" autocomplete="off" placeholder="scan or type a tag, then Enter"
              value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          </label>
          <FieldError messages={tagError} />
          {kept !== null && <p class="hint kept">{kept} {kept === 1 ? "piece" : "pieces"} of this store kept for selling offline</p>}
        </form>
        <SaleSearch store={store} onAdd={(item) => {
          const why = add(item);
          if (!why) tagInput.current?.focus();
          return why;
        }} />
        <CartTable lines={lines} currency={currency} discounts={discounts} errors={lineErrors}
          limitBps={limitBps} onDiscount={setDiscount} onRemove={remove} />
      </section>
      <section aria-labelledby="checkout-heading" class="tender">
        <h2 id="checkout-heading" class="sr-only">Checkout</h2>
        <ClientPanel store={store} client={cart.client ?? null} onAttach={attach}
          errors={problems.about("client_id")} />
        <dl class="totals">
          {off > 0 && (
            <>
              <dt>Before discounts</dt><dd>{money(gross)}</dd>
              <dt>Discounts</dt><dd>−{money(off)}</dd>
            </>
          )}
          <dt>Subtotal</dt><dd>{money(subtotal)}</dd>
          <dt>Tax {exempt !== null ? "(exempt)" : `${(store.tax_rate_bps ?? 0) / 100}%`}</dt><dd>{money(tax)}</dd>
          <dt class="total">Total</dt><dd class="total">{money(total)}</dd>
        </dl>
        {manager && cart.items.length > 0 && (
          <div class="exempt">
            <label class="check">
              <input type="checkbox" checked={exempt !== null}
                onChange={(e) => { setExempt(e.currentTarget.checked ? "" : null); change({ tenders: [] }); }} />
              Tax exempt
            </label>
            {exempt !== null && (
              <label>
                Exemption certificate
                <input value={exempt} autocomplete="off" onInput={(e) => setExempt(e.currentTarget.value)} />
              </label>
            )}
            <FieldError messages={problems.about("tax_exempt_id")} />
          </div>
        )}
        {tenders.length > 0 && (
          <ul class="tenders" aria-label="Payments">
            {tenders.map((t, n) => (
              <li key={n}>
                <span>{tenderLabel(t)}</span>
                <span class="amount">{money(t.amount)}</span>
                <button type="button" class="link" aria-label={`Remove payment ${n + 1}: ${tenderLabel(t)}`}
                  onClick={() => change({ tenders: tenders.filter((_, i) => i !== n) })}>Remove</button>
                <FieldError messages={problems.about(`tenders.${n}`)} />
              </li>
            ))}
          </ul>
        )}
        <p class="due">
          {tenders.length > 0 && remaining >= 0 && <>Still to pay <output>{money(remaining)}</output></>}
          {remaining < 0 && <span class="error" role="alert">The payments are {money(-remaining)} more than the total</span>}
        </p>
        <FieldError messages={general} />
        {waiting && <Waiting sale={waiting} money={money} onCancel={() => void cancelWait()} />}
        {remaining > 0 ? (
          <TenderForm currency={currency} remaining={remaining} client={cart.client ?? null} readers={readers} offline={offline}
            disabled={busy || !cart.items.length} onAdd={addTender} focusRef={tenderFocus} />
        ) : (
          cart.items.length > 0 && (
            <button type="button" class="primary" disabled={busy || remaining !== 0} onClick={() => sell(tenders)}>
              Complete sale
            </button>
          )
        )}
      </section>
    </div>
  );
}

class NotKept extends Error {}

/** The sale waits: on the reader for the client's card, or on a card that asks for 3-D Secure. */
function Waiting({ sale, money, onCancel }: { sale: api.SaleView; money: (n: number) => string; onCancel: () => void }) {
  const tender = (sale.tenders ?? []).find((t) => t.next_action);
  const action = tender?.next_action;
  const text = action?.type === "present_card"
    ? `Tap, insert or swipe the card on ${action.reader_label ?? "the reader"}: ${money(tender?.amount?.amount ?? 0)}`
    : action
      ? "The card asks the cardholder to authenticate (3-D Secure), which this counter cannot do: cancel and take the card on the reader"
      : "The sale is still being processed…";
  return (
    <div class="waiting" role="status">
      <p>{text}</p>
      {action && <button type="button" onClick={onCancel}>Cancel the card payment</button>}
    </div>
  );
}
