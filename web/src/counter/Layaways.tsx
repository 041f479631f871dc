// Layaways at the counter: the store's layaways by status with the balance and
// the next due date; a new one (client, pieces by tag, deposit, schedule); a
// payment (the last one completes it: the resulting sale is shown) and a
// cancellation with the money back by the policy picked.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { useIntent } from "../intent";
import { FieldError } from "../FieldError";
import { bpsOf, exponent, format, parseMajor } from "../money";
import { useProblems } from "../problem";
import { can, MANAGERS } from "../screen";
import { formatDay, formatTime } from "../time";
import { fieldError } from "./Drawer";
import { ClientPicker, type ClientSummary, focusIfIdle, useClientNames } from "./HoldClient";
import "./more.css";

type Summary = api.S["LayawaySummary"];
type Layaway = api.S["LayawayView"];

const STATUSES = ["active", "pending", "completed", "cancelled", "failed"];

export function Layaways({ store }: { store: api.Store }) {
  const [status, setStatus] = useState("active");
  const [list, setList] = useState<Summary[] | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [refresh, setRefresh] = useState(0);
  const listProblems = useProblems();
  const names = useClientNames((list ?? []).map((l) => l.client_id));
  const zone = store.timezone;
  const currency = store.currency ?? "USD";

  useEffect(() => {
    api.allPages<Summary>("/layaways", { store_id: store.id, status }, 400)
      .then((items) => { setList(items); listProblems.clear(); }, (e) => listProblems.set(e));
  }, [store.id, status, refresh]);

  const reload = () => setRefresh((n) => n + 1);

  if (creating) {
    return (
      <NewLayaway store={store} onDone={(id) => { setCreating(false); reload(); if (id) setOpenId(id); }} />
    );
  }
  if (openId) {
    return <LayawayDetail store={store} id={openId} onBack={() => { setOpenId(null); reload(); }} onChange={reload} />;
  }
  return (
    <div class="more">
      <section class="panel wide" aria-labelledby="layaways-title">
        <div class="head">
          <h2 id="layaways-title">Layaways at {store.code}</h2>
          <label class="inline-label">
            Status
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              {STATUSES.map((s) => <option value={s}>{s}</option>)}
            </select>
          </label>
          <button type="button" class="primary" onClick={() => setCreating(true)}>New layaway</button>
        </div>
        <FieldError messages={listProblems.rest([])} />
        <table class="list">
          <thead>
            <tr><th>Opened</th><th>Client</th><th class="amount">Pieces</th><th class="amount">Total</th><th class="amount">Paid</th><th class="amount">Balance</th><th>Next due</th><th><span class="sr-only">Action</span></th></tr>
          </thead>
          <tbody>
            {(list ?? []).map((l) => (
              <tr key={l.id}>
                <td>{formatTime(l.created_at, zone)}</td>
                <td>{names[l.client_id ?? ""] ?? "…"}</td>
                <td class="amount">{l.item_count}</td>
                <td class="amount">{format(l.total?.amount ?? 0, currency)}</td>
                <td class="amount">{format(l.paid?.amount ?? 0, currency)}</td>
                <td class="amount">{format(l.balance?.amount ?? 0, currency)}</td>
                <td>{l.next_due_date ? `${formatDay(l.next_due_date)} · ${format(l.next_due?.amount ?? 0, currency)}` : "—"}</td>
                <td><button type="button" onClick={() => setOpenId(l.id!)} aria-label={`Open the layaway of ${names[l.client_id ?? ""] ?? "this client"} opened ${formatTime(l.created_at, zone)}`}>Open</button></td>
              </tr>
            ))}
            {list && !list.length && <tr><td colSpan={8} class="empty">No {status} layaway.</td></tr>}
            {!list && <tr><td colSpan={8} class="empty">Loading…</td></tr>}
          </tbody>
        </table>
      </section>
    </div>
  );
}

function NewLayaway({ store, onDone }: { store: api.Store; onDone: (id: string | null) => void }) {
  const currency = store.currency ?? "USD";
  const [client, setClient] = useState<ClientSummary | null>(null);
  const [tag, setTag] = useState("");
  const [items, setItems] = useState<api.Item[]>([]);
  const [deposit, setDeposit] = useState("");
  const [installments, setInstallments] = useState("3");
  const [every, setEvery] = useState("30");
  const [key, setKey] = useState(crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const scanProblems = useProblems();
  const tagInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (client) focusIfIdle(tagInput.current);
  }, [client]);

  const subtotal = items.reduce((sum, i) => sum + (i.price?.amount ?? 0), 0);
  const tax = bpsOf(subtotal, store.tax_rate_bps ?? 0);

  async function scan(event: Event) {
    event.preventDefault();
    const code = tag.trim();
    if (!code) return;
    scanProblems.clear();
    try {
      const item = await api.itemByTag(code);
      if (item.store_id !== store.id) throw fieldError("tag", `${item.tag} is in another store`);
      if (item.status !== "in_stock") throw fieldError("tag", `${item.tag} is ${item.status?.replace(/_/g, " ")}`);
      if (items.some((i) => i.id === item.id)) throw fieldError("tag", `${item.tag} is already on the layaway`);
      setItems([...items, item]);
      setTag("");
      setKey(crypto.randomUUID());
    } catch (e) {
      scanProblems.set(e instanceof api.ApiError && e.status === 404 ? fieldError("tag", `No piece has the tag ${code}`) : e);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    problems.clear();
    const minor = parseMajor(deposit, currency);
    if (!client) return problems.set(fieldError("client_id", "Find the client first"));
    if (!items.length) return problems.set(fieldError("item_ids", "Scan the pieces to put on layaway"));
    if (minor === null || minor <= 0) return problems.set(fieldError("deposit", "Enter the deposit taken in cash"));
    setBusy(true);
    try {
      const made = await api.sendJson<Layaway>("POST", "/layaways", {
        store_id: store.id, client_id: client.id, item_ids: items.map((i) => i.id),
        deposit: { method: "cash", amount: { amount: minor, currency } },
        installments: Number(installments), interval_days: Number(every),
      }, { idempotencyKey: key });
      onDone(made.id ?? null);
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="more">
      <section class="panel wide" aria-labelledby="new-layaway">
        <h2 id="new-layaway">New layaway</h2>
        <ClientPicker id="layaway-client" value={client} onPick={setClient} messages={problems.about("client_id")} autoFocus />
        <form onSubmit={scan}>
          <label>
            Tag
            <input ref={tagInput} name="tag" autocomplete="off" placeholder="scan or type a tag, then Enter"
              value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          </label>
          <FieldError messages={scanProblems.rest([])} />
        </form>
        <table class="list">
          <thead><tr><th>Tag</th><th>Piece</th><th class="amount">Price</th><th><span class="sr-only">Action</span></th></tr></thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id}>
                <td>{i.tag}</td><td>{i.description}</td>
                <td class="amount">{format(i.price?.amount ?? 0, currency)}</td>
                <td><button type="button" aria-label={`Remove ${i.tag}`} onClick={() => setItems(items.filter((x) => x.id !== i.id))}>Remove</button></td>
              </tr>
            ))}
            {!items.length && <tr><td colSpan={4} class="empty">Scan the pieces to put aside.</td></tr>}
          </tbody>
        </table>
        <FieldError messages={problems.about("item_ids")} />
        <form onSubmit={submit} class="grid3">
          <dl class="sums">
            <dt>Subtotal</dt><dd>{format(subtotal, currency)}</dd>
            <dt>Tax</dt><dd>{format(tax, currency)}</dd>
            <dt class="total">Total</dt><dd class="total">{format(subtotal + tax, currency)}</dd>
          </dl>
          <div>
            <label>
              Deposit (cash)
              <input name="deposit" inputMode="decimal" autocomplete="off" value={deposit} onInput={(e) => setDeposit(e.currentTarget.value)} />
            </label>
            <FieldError messages={problems.about("deposit")} />
          </div>
          <div>
            <label>
              Installments
              <input name="installments" inputMode="numeric" value={installments} onInput={(e) => setInstallments(e.currentTarget.value)} />
            </label>
            <FieldError messages={problems.about("installments")} />
            <label>
              Every (days)
              <input name="interval_days" inputMode="numeric" value={every} onInput={(e) => setEvery(e.currentTarget.value)} />
            </label>
            <FieldError messages={problems.about("interval_days")} />
          </div>
          <FieldError messages={problems.rest(["client_id", "item_ids", "deposit", "installments", "interval_days"])} />
          <div class="actions">
            <button type="submit" disabled={busy}>Open layaway</button>
            <button type="button" onClick={() => onDone(null)}>Back</button>
          </div>
        </form>
      </section>
    </div>
  );
}

interface DetailProps {
  store: api.Store;
  id: string;
  onBack: () => void;
  onChange: () => void;
}

function LayawayDetail({ store, id, onBack, onChange }: DetailProps) {
  const currency = store.currency ?? "USD";
  const zone = store.timezone;
  const money = (m: { amount: number } | null | undefined) => (m ? format(m.amount, currency) : "—");
  const [lw, setLw] = useState<Layaway | null>(null);
  const [amount, setAmount] = useState("");
  const [method, setMethod] = useState<"cash" | "store_credit">("cash");
  const [key, setKey] = useState(crypto.randomUUID());
  const [sale, setSale] = useState<api.SaleView | null>(null);
  const [receipt, setReceipt] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [policy, setPolicy] = useState<"policy" | "store_credit" | "refund">("policy");
  const [me, setMe] = useState<api.Me | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const cancelProblems = useProblems();
  const cancelling_ = useIntent();
  const names = useClientNames([lw?.client_id]);
  const amountInput = useRef<HTMLInputElement>(null);

  const next = lw?.installments?.find((i) => (i.paid?.amount ?? 0) < (i.amount?.amount ?? 0));

  async function load() {
    try {
      const view = await api.getJson<Layaway>(`/layaways/${id}`);
      setLw(view);
      if (view.sale_id) setSale(await api.getJson<api.SaleView>(`/sales/${view.sale_id}`));
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => {
    void load();
    api.me().then(setMe, () => setMe(null));
  }, [id]);
  // only a manager overrides the store's cancellation policy
  const chooses = me !== null && can(me, MANAGERS);
  useEffect(() => {
    if (lw?.status === "active") focusIfIdle(amountInput.current);
  }, [lw?.status]);

  async function pay(event: Event) {
    event.preventDefault();
    if (!lw) return;
    problems.clear();
    const minor = parseMajor(amount, currency);
    if (minor === null || minor <= 0) return problems.set(fieldError("tender.amount", "Enter the amount paid"));
    setBusy(true);
    try {
      const paid = await api.sendJson<api.S["LayawayPayment"]>("POST", `/layaways/${id}/payments`,
        { tender: { method, amount: { amount: minor, currency } } }, { idempotencyKey: key });
      setKey(crypto.randomUUID());
      setAmount("");
      if (paid.payment?.state === "failed") throw new Error(paid.payment.failure_reason ?? "the payment failed");
      const view = paid.layaway ?? null;
      setLw(view);
      if (view?.sale_id) setSale(await api.getJson<api.SaleView>(`/sales/${view.sale_id}`));
      onChange();
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function cancel(event: Event) {
    event.preventDefault();
    setBusy(true);
    cancelProblems.clear();
    try {
      setLw(await api.sendJson<Layaway>("POST", `/layaways/${id}/cancel`, { refund_method: policy === "policy" ? null : policy, reason: reason.trim() || null },
        { idempotencyKey: cancelling_.key() }));
      cancelling_.settle();
      setCancelling(false);
      onChange();
    } catch (e) {
      cancelling_.settle(e);
      cancelProblems.set(e);
    } finally {
      setBusy(false);
    }
  }

  if (!lw) {
    return (
      <div class="more">
        <section class="panel wide">
          <FieldError messages={problems.rest([])} />
          {problems.any ? <button type="button" onClick={() => { problems.clear(); void load(); }}>Try again</button> : <p>Loading…</p>}
          <button type="button" onClick={onBack}>Back to the list</button>
        </section>
      </div>
    );
  }
  return (
    <div class="more">
      {lw.status === "completed" && (
        <section class="panel wide result" aria-labelledby="sale-made">
          <h2 id="sale-made">Paid off: sale {sale?.receipt_number ?? "…"}</h2>
          <p>The pieces are sold to the client{sale ? ` · total ${money(sale.total)} · ${formatTime(sale.completed_at, zone)}` : ""}.</p>
          {sale && receipt === null && (
            <button type="button" onClick={() => api.receiptHtml(sale.id!).then(setReceipt, (e) => problems.set(e))}>Receipt</button>
          )}
          <FieldError messages={problems.rest([])} />
          {receipt !== null && <iframe class="receipt" title="Receipt" sandbox="" srcdoc={receipt} />}
        </section>
      )}
      {lw.status === "cancelled" && (
        <section class="panel wide result" aria-labelledby="cancelled-title">
          <h2 id="cancelled-title">Cancelled{lw.cancelled_at ? ` ${formatTime(lw.cancelled_at, zone)}` : ""}</h2>
          <p>The pieces are back in stock. Money back ({lw.cancel_policy === "refund" ? "refund to the payments" : "store credit"}):</p>
          <dl class="sums">
            {(lw.cancel_plan ?? []).map((p) => (
              <><dt>{p.kind === "store_credit" ? "Store credit" : `To ${p.method?.replace(/_/g, " ") ?? "the payment"}`}</dt><dd>{money(p.amount)}</dd></>
            ))}
            {!lw.cancel_plan?.length && <><dt>Nothing to give back</dt><dd>{format(0, currency)}</dd></>}
          </dl>
        </section>
      )}
      <section class="panel wide" aria-labelledby="layaway-title">
        <div class="head">
          <h2 id="layaway-title">Layaway of {names[lw.client_id ?? ""] ?? "…"} · {lw.status}</h2>
          <button type="button" onClick={onBack}>Back to the list</button>
        </div>
        <p class="muted">Opened {formatTime(lw.created_at, zone)}</p>
        <div class="columns">
          <div>
            <h3>Pieces</h3>
            <table class="list">
              <thead><tr><th>Tag</th><th>Piece</th><th class="amount">Price</th></tr></thead>
              <tbody>
                {(lw.lines ?? []).map((l) => (
                  <tr key={l.item_id}><td>{l.tag}</td><td>{l.description}</td><td class="amount">{money(l.amount)}</td></tr>
                ))}
              </tbody>
            </table>
            <dl class="sums">
              <dt>Total</dt><dd>{money(lw.total)}</dd>
              <dt>Paid</dt><dd>{money(lw.paid)}</dd>
              <dt class="total">Balance</dt><dd class="total">{money(lw.balance)}</dd>
              {lw.status === "active" && <><dt>Next due</dt><dd>{next ? `${formatDay(next.due_date)} · ${format((next.amount?.amount ?? 0) - (next.paid?.amount ?? 0), currency)}` : "—"}</dd></>}
            </dl>
          </div>
          <div>
            <h3>Schedule</h3>
            <table class="list">
              <thead><tr><th>#</th><th>Due</th><th class="amount">Amount</th><th class="amount">Paid</th></tr></thead>
              <tbody>
                {(lw.installments ?? []).map((i) => (
                  <tr key={i.number} class={i === next && lw.status === "active" ? "next" : undefined}>
                    <td>{i.number}</td><td>{formatDay(i.due_date)}</td>
                    <td class="amount">{money(i.amount)}</td><td class="amount">{money(i.paid)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>Payments</h3>
            <table class="list">
              <thead><tr><th>#</th><th>Method</th><th>State</th><th class="amount">Amount</th></tr></thead>
              <tbody>
                {(lw.payments ?? []).map((p) => (
                  <tr key={p.id}><td>{(p.index ?? 0) + 1}</td><td>{p.method?.replace(/_/g, " ")}</td><td>{p.state}</td><td class="amount">{money(p.amount)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </section>
      {lw.status === "active" && (
        <section class="panel" aria-labelledby="pay-title">
          <h2 id="pay-title">Take a payment</h2>
          <form onSubmit={pay}>
            <label for="layaway-amount">Amount</label>
            <div class="inline">
              <input id="layaway-amount" ref={amountInput} name="amount" inputMode="decimal" autocomplete="off" value={amount}
                placeholder={next ? major((next.amount?.amount ?? 0) - (next.paid?.amount ?? 0), currency) : ""}
                onInput={(e) => setAmount(e.currentTarget.value)} />
              <button type="button" onClick={() => { setAmount(major(lw.balance?.amount ?? 0, currency)); amountInput.current?.focus(); }}>Pay the balance</button>
            </div>
            <FieldError messages={problems.about("tender.amount")} />
            <fieldset class="choice">
              <legend>Paid by</legend>
              <label class="radio"><input type="radio" name="method" checked={method === "cash"} onChange={() => setMethod("cash")} /> Cash</label>
              <label class="radio"><input type="radio" name="method" checked={method === "store_credit"} onChange={() => setMethod("store_credit")} /> Store credit</label>
            </fieldset>
            <FieldError messages={problems.about("tender.method", "tender.points", "tender.gift_card_code")} />
            <FieldError messages={problems.rest(["tender.amount", "tender.method", "tender.points", "tender.gift_card_code"])} />
            <button type="submit" disabled={busy}>Take payment</button>
          </form>
        </section>
      )}
      {lw.status === "active" && (
        <section class="panel" aria-labelledby="cancel-title">
          <h2 id="cancel-title">Cancel the layaway</h2>
          {!cancelling ? (
            <button type="button" onClick={() => setCancelling(true)}>Cancel layaway…</button>
          ) : (
            <form onSubmit={cancel}>
              <p>The pieces go back to stock; {money(lw.paid)} paid comes back, less the cancellation fee.</p>
              {chooses ? (
                <fieldset class="choice">
                  <legend>Money back as</legend>
                  <label class="radio"><input type="radio" name="policy" checked={policy === "policy"} onChange={() => setPolicy("policy")} /> The store's policy</label>
                  <label class="radio"><input type="radio" name="policy" checked={policy === "store_credit"} onChange={() => setPolicy("store_credit")} /> Store credit</label>
                  <label class="radio"><input type="radio" name="policy" checked={policy === "refund"} onChange={() => setPolicy("refund")} /> Refund to the payments</label>
                </fieldset>
              ) : (
                <p class="muted">The money goes back as the store's policy says; a manager may choose otherwise.</p>
              )}
              <FieldError messages={cancelProblems.about("refund_method")} />
              <label>
                Reason
                <input name="cancel_reason" autocomplete="off" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
              </label>
              <FieldError messages={cancelProblems.about("reason")} />
              <FieldError messages={cancelProblems.rest(["refund_method", "reason"])} />
              <div class="actions">
                <button type="submit" class="danger" disabled={busy}>Cancel layaway</button>
                <button type="button" onClick={() => setCancelling(false)}>Keep it</button>
              </div>
            </form>
          )}
        </section>
      )}
    </div>
  );
}

/** Minor units as a person types them ("1250.00"). */
function major(minor: number, currency: string): string {
  const digits = exponent(currency);
  return (minor / 10 ** digits).toFixed(digits);
}
