// The counter's offline sales (#/counter/offline): each one kept in this
// browser, its state, and the conflicts: a sale the server refused when it was
// sent (a piece sold elsewhere meanwhile; nothing was charged, the sale
// failed) while the client's cash is in the drawer. A store manager resolves
// one (the associate sees it):
// - Refund: the cash taken goes into the drawer's record and back out to the
//   client, two movements that say why (so the drawer's expected cash matches
//   what is in it: the failed sale never put it there);
// - Substitute: another in-stock piece of the store in place of the one sold
//   elsewhere, a new sale (a new key) paid with the cash taken, and the
//   difference taken or given back.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { bpsOf, format } from "../money";
import { useProblems } from "../problem";
import { today } from "../time";
import type { OfflineSale } from "./db";
import { provisionalNumber } from "./Provisional";
import * as queue from "./queue";
import "./offline.css";

const STATES: Record<OfflineSale["state"], string> = {
  waiting: "waiting to be sent",
  sent: "sent",
  conflict: "conflict: not made on the server",
  refunded: "refunded",
  substituted: "substituted",
};

interface Props {
  store: api.Store;
  me: api.Me;
}

export function OfflineSales({ store, me }: Props) {
  const { sales, offline } = queue.useOfflineSales();
  const mine = sales.filter((s) => s.store_id === store.id).reverse();
  const manager = me.role === "store_manager" || me.role === "hq_admin";
  if (!mine.length) return <p>No sale was kept offline in this browser.</p>;
  return (
    <section class="offline-sales" aria-labelledby="offline-title">
      <h2 id="offline-title">Sales kept offline</h2>
      <ol>
        {mine.map((s) => (
          <li key={s.key}>
            {s.state === "conflict" ? (
              <Conflict sale={s} store={store} manager={manager} offline={offline} />
            ) : (
              <Summary sale={s} />
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Summary({ sale }: { sale: OfflineSale }) {
  const money = (n: number) => format(n, sale.currency);
  return (
    <p>
      {provisionalNumber(sale)} · {sale.lines.map((l) => l.tag).join(", ")} · cash {money(sale.cash)} ·{" "}
      <span class="state">{STATES[sale.state]}</span>
      {sale.answer?.receipt_number && <> · receipt {sale.answer.receipt_number}</>}
      {(sale.state === "refunded" || sale.state === "substituted") && sale.answer?.detail && <> · {sale.answer.detail}</>}
    </p>
  );
}

type DrawerList = api.S["DrawerList"];

function Conflict({ sale, store, manager, offline }: { sale: OfflineSale; store: api.Store; manager: boolean; offline: boolean }) {
  const money = (n: number) => format(n, sale.currency);
  const [status, setStatus] = useState<Record<string, string>>({}); // by tag, as the server has it now
  const [tag, setTag] = useState("");
  const [busy, setBusy] = useState(false);
  const problems = useProblems();

  useEffect(() => {
    if (offline) return;
    void Promise.all(sale.lines.map(async (l) => {
      try {
        return [l.tag, (await api.itemByTag(l.tag)).status ?? "unknown"];
      } catch {
        return [l.tag, "unknown"];
      }
    })).then((pairs) => setStatus(Object.fromEntries(pairs)));
  }, [sale.key, offline]);

  const gone = sale.lines.filter((l) => status[l.tag] && status[l.tag] !== "in_stock");
  const what = gone.map((l) => l.tag).join(", ") || "a piece";
  const loaded = sale.lines.every((l) => status[l.tag]);
  // refused for another reason (no piece gone): the cash goes back all the same
  const why = gone.length ? `${what} sold elsewhere` : `refused: ${sale.answer?.detail ?? sale.answer?.code ?? "by the server"}`;
  const register = sale.body.register || "main";

  async function refund() {
    setBusy(true);
    problems.clear();
    try {
      const list = await api.getJson<DrawerList>("/drawers", { store_id: store.id, date: today(store.timezone) });
      const drawer = list.items?.find((d) => d.status === "open" && d.register === register);
      if (!drawer) throw new Error(`Open the cash drawer of register ${register} first: the refund is cash out of it`);
      // the keys first: a retry after a lost answer moves the cash once
      if (!sale.refundKeys) {
        sale.refundKeys = { cashIn: crypto.randomUUID(), cashOut: crypto.randomUUID() };
        await queue.save(sale);
      }
      const amount = { amount: sale.cash, currency: sale.currency };
      const path = `/drawers/${drawer.id}/movements`;
      const cut = (text: string) => text.slice(0, 200);
      await api.sendJson("POST", path, {
        kind: "cash_in", amount, reason: cut(`offline sale ${sale.key} cash taken, sale failed: ${why}`),
      }, { idempotencyKey: sale.refundKeys.cashIn });
      await api.sendJson("POST", path, {
        kind: "cash_out", amount, reason: cut(`offline sale ${sale.key} refunded: ${why}`),
      }, { idempotencyKey: sale.refundKeys.cashOut });
      await queue.save({ ...sale, state: "refunded", resolved_at: new Date().toISOString(),
        answer: { ...sale.answer, detail: `${money(sale.cash)} given back in cash` } });
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function substitute(event: Event) {
    event.preventDefault();
    problems.clear();
    setBusy(true);
    try {
      const piece = await api.itemByTag(tag.trim());
      if (piece.status !== "in_stock") throw new Error(`${piece.tag} is ${piece.status?.replace(/_/g, " ")}, not for sale`);
      if (piece.store_id !== sale.store_id) throw new Error(`${piece.tag} is in another store`);
      const kept = sale.lines.filter((l) => !gone.includes(l));
      const nets = [...kept.map((l) => l.net), piece.price?.amount ?? 0];
      const subtotal = nets.reduce((a, b) => a + b, 0);
      const total = subtotal + (sale.body.tax_exempt ? 0 : bpsOf(subtotal, store.tax_rate_bps ?? 0));
      if (!sale.substituteKey) {
        sale.substituteKey = crypto.randomUUID();
        await queue.save(sale);
      }
      const body: api.SaleRequest = {
        ...sale.body,
        lines: [...sale.body.lines.filter((l) => kept.some((k) => k.id === l.item_id)), { item_id: piece.id, discount: null }],
        tenders: [{ method: "cash", amount: { amount: total, currency: sale.currency }, received: null }],
      };
      try {
        const view = await api.sell(body, sale.substituteKey);
        const diff = total - sale.cash;
        const settle = diff > 0 ? `take ${money(diff)} more in cash` : diff < 0 ? `give back ${money(-diff)} in cash` : "the same amount";
        await queue.save({ ...sale, state: "substituted", resolved_at: new Date().toISOString(),
          answer: { sale_id: view.id, receipt_number: view.receipt_number ?? undefined,
            detail: `${piece.tag} in place of ${what} for ${money(total)}: ${settle}` } });
      } catch (e) {
        if (api.needsNewKey(e)) await queue.save({ ...sale, substituteKey: undefined }); // refused: another sale next time
        throw e;
      }
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="conflict" role="group" aria-label={`Conflict ${provisionalNumber(sale)}`}>
      <p>
        <strong>{provisionalNumber(sale)}</strong> · <span class="state">{STATES.conflict}</span>: {sale.answer?.detail}
      </p>
      <ul>
        {sale.lines.map((l) => (
          <li key={l.id}>
            {l.tag} · {l.description} · {money(l.net)}
            {status[l.tag] && status[l.tag] !== "in_stock" && <strong> · sold elsewhere ({status[l.tag].replace(/_/g, " ")})</strong>}
          </li>
        ))}
      </ul>
      <p>Cash taken <output>{money(sale.cash)}</output> (nothing was charged on the server)</p>
      {manager ? (
        <>
          <button type="button" disabled={busy || offline || !loaded} onClick={() => void refund()}>
            Refund {money(sale.cash)} in cash
          </button>
          <form onSubmit={substitute} class="inline">
            <label>
              Substitute piece tag
              <input name="substitute" autocomplete="off" value={tag} disabled={busy || offline}
                onInput={(e) => setTag(e.currentTarget.value)} />
            </label>
            <button type="submit" disabled={busy || offline || !gone.length || !tag.trim()}>Substitute</button>
          </form>
        </>
      ) : (
        <p>A store manager resolves it: a refund of the cash, or another piece in its place.</p>
      )}
      <FieldError messages={problems.rest([])} />
    </div>
  );
}
