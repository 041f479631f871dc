// Returns at the counter: the sale found by its receipt number (scanned or
// typed, then Enter) or picked from the store's recent sales; the pieces to
// return ticked; the money back to the original tenders or as store credit
// (the server's refusals, such as the associate's refund limit or the return
// window, shown next to what they are about); a return slip to print.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { useProblems } from "../problem";
import { formatTime } from "../time";
import { fieldError } from "./Drawer";
import { focusIfIdle } from "./HoldClient";
import "./more.css";

type Sale = api.S["SaleView"];
type Return = api.S["ReturnView"];

const METHODS: Record<string, string> = {
  cash: "cash", card: "card", store_credit: "store credit", gift_card: "gift card", loyalty_points: "points",
};

export function Returns({ store }: { store: api.Store }) {
  const currency = store.currency ?? "USD";
  const zone = store.timezone;
  const money = (m: { amount: number; currency?: string } | null | undefined) => (m ? format(m.amount, m.currency ?? currency) : "—");
  const [number, setNumber] = useState("");
  const [recent, setRecent] = useState<Sale[] | null>(null);
  const [sale, setSale] = useState<Sale | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [method, setMethod] = useState<"original" | "store_credit">("original");
  const [reason, setReason] = useState("");
  const [key, setKey] = useState(crypto.randomUUID());
  const [done, setDone] = useState<Return | null>(null);
  const [busy, setBusy] = useState(false);
  const findProblems = useProblems();
  const problems = useProblems();
  const numberInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    api.getJson<api.S["SalePage"]>("/sales", { store_id: store.id, status: "completed", limit: 8 })
      .then((page) => setRecent(page.items ?? []), (e) => findProblems.set(e));
  }, [store.id, done]);
  useEffect(() => {
    if (!sale) focusIfIdle(numberInput.current);
  }, [sale]);

  function choose(found: Sale) {
    setSale(found);
    setPicked(new Set());
    setMethod("original");
    setReason("");
    setKey(crypto.randomUUID());
    setDone(null);
    problems.clear();
  }

  async function find(event: Event) {
    event.preventDefault();
    const text = number.trim();
    if (!text) return;
    findProblems.clear();
    try {
      const page = await api.getJson<api.S["SalePage"]>("/sales", { receipt_number: text, limit: 1 });
      const found = page.items?.[0];
      if (!found) throw fieldError("receipt_number", `No sale has the receipt number ${text}`);
      if (found.status !== "completed") throw fieldError("receipt_number", `Sale ${text} is ${found.status}; only a completed sale takes returns`);
      setNumber("");
      choose(found);
    } catch (e) {
      findProblems.set(e);
    }
  }

  const lines = (sale?.lines ?? []).filter((l) => l.kind === "item" && l.item_id);
  const refund = lines.filter((l) => picked.has(l.item_id!)).reduce((sum, l) => sum + (l.amount?.amount ?? 0) + (l.tax?.amount ?? 0), 0);

  function toggle(id: string) {
    const next = new Set(picked);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setPicked(next);
    setKey(crypto.randomUUID());
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (!sale || !picked.size) return;
    setBusy(true);
    problems.clear();
    try {
      const made = await api.sendJson<Return>("POST", `/sales/${sale.id}/returns`,
        { item_ids: [...picked], refund_method: method, reason: reason.trim() || null }, { idempotencyKey: key });
      setDone(made);
      setSale(await api.getJson<Sale>(`/sales/${sale.id}`));
      setPicked(new Set());
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="more">
      <section class="panel" aria-labelledby="find-title">
        <h2 id="find-title">Find the sale</h2>
        <form onSubmit={find}>
          <label>
            Receipt number
            <input ref={numberInput} name="receipt_number" autocomplete="off" placeholder="scan or type, then Enter"
              value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
          </label>
          <FieldError messages={findProblems.about("receipt_number") ?? findProblems.rest([])} />
        </form>
        <h3>Recent sales at {store.code}</h3>
        <ul class="recent">
          {(recent ?? []).map((s) => (
            <li key={s.id}>
              <button type="button" onClick={() => choose(s)} aria-current={s.id === sale?.id ? "true" : undefined}>
                <span>{s.receipt_number}</span>
                <span class="muted">{formatTime(s.completed_at ?? s.created_at, zone)}</span>
                <span class="amount">{money(s.total)}</span>
              </button>
            </li>
          ))}
          {recent && !recent.length && <li class="empty">No sale yet.</li>}
        </ul>
      </section>
      {sale && !done && (
        <section class="panel" aria-labelledby="sale-title">
          <h2 id="sale-title">Sale {sale.receipt_number}</h2>
          <p class="muted">
            {formatTime(sale.completed_at ?? sale.created_at, zone)} · total {money(sale.total)} · paid by{" "}
            {(sale.tenders ?? []).map((t) => `${METHODS[t.method ?? ""] ?? t.method} ${money(t.amount)}`).join(", ")}
          </p>
          <form onSubmit={submit}>
            <fieldset>
              <legend>Pieces to return</legend>
              <table class="list">
                <thead>
                  <tr><th><span class="sr-only">Return</span></th><th>Tag</th><th>Piece</th><th class="amount">Paid</th><th class="amount">Tax</th></tr>
                </thead>
                <tbody>
                  {lines.map((l) => (
                    <tr key={l.item_id} class={l.returned ? "returned" : undefined}>
                      <td>
                        <input type="checkbox" id={`ret-${l.item_id}`} disabled={!!l.returned}
                          checked={picked.has(l.item_id!)} onChange={() => toggle(l.item_id!)}
                          aria-label={`Return ${l.tag}`} />
                      </td>
                      <td><label for={`ret-${l.item_id}`} class="plain">{l.tag}</label></td>
                      <td>{l.description}{l.returned ? " · returned" : ""}</td>
                      <td class="amount">{money(l.amount)}</td>
                      <td class="amount">{money(l.tax)}</td>
                    </tr>
                  ))}
                  {!lines.length && <tr><td colSpan={5} class="empty">No piece on this sale.</td></tr>}
                </tbody>
              </table>
              <FieldError messages={problems.about("item_ids")} />
            </fieldset>
            <fieldset class="choice">
              <legend>Refund</legend>
              <label class="radio">
                <input type="radio" name="refund_method" checked={method === "original"} onChange={() => setMethod("original")} />
                To the original tender
              </label>
              <label class="radio">
                <input type="radio" name="refund_method" checked={method === "store_credit"} disabled={!sale.client_id}
                  onChange={() => setMethod("store_credit")} />
                As store credit{sale.client_id ? "" : " (the sale has no client)"}
              </label>
              <FieldError messages={problems.about("refund_method")} />
            </fieldset>
            <label>
              Reason
              <input name="reason" autocomplete="off" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
            <FieldError messages={problems.about("reason")} />
            <p class="total">Refund <output>{format(refund, currency)}</output></p>
            <FieldError messages={problems.rest(["item_ids", "refund_method", "reason"])} />
            <button type="submit" disabled={busy || !picked.size}>Return {picked.size || ""} {picked.size === 1 ? "piece" : "pieces"}</button>
          </form>
        </section>
      )}
      {done && sale && (
        <section class="panel slip" aria-labelledby="slip-title">
          <h2 id="slip-title">Return receipt</h2>
          <p>
            {store.name} · {formatTime(done.created_at, zone)}<br />
            Sale {sale.receipt_number} · return {done.id?.slice(0, 8)}
          </p>
          <table class="list">
            <thead><tr><th>Tag</th><th>Piece</th><th class="amount">Refunded</th></tr></thead>
            <tbody>
              {(sale.lines ?? []).filter((l) => l.item_id && done.item_ids?.includes(l.item_id)).map((l) => (
                <tr key={l.item_id}>
                  <td>{l.tag}</td><td>{l.description}</td>
                  <td class="amount">{format((l.amount?.amount ?? 0) + (l.tax?.amount ?? 0), currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <dl class="sums">
            {(done.plan ?? []).map((p) => (
              <>
                <dt>{p.kind === "store_credit" ? "Store credit" : `To ${METHODS[p.method ?? ""] ?? p.method ?? "tender"}`}</dt>
                <dd>{money(p.amount)}</dd>
              </>
            ))}
            <dt class="total">Refunded</dt><dd class="total">{money(done.amount)}</dd>
          </dl>
          <p class="muted">Status: {done.state}</p>
          <div class="actions no-print">
            <button type="button" onClick={() => window.print()}>Print</button>
            <button type="button" onClick={() => { setDone(null); setSale(null); }}>Next return</button>
          </div>
        </section>
      )}
    </div>
  );
}
