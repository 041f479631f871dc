// A sale kept offline: its provisional receipt (the number the final one will
// be found by is the server's; this one is the sale's key), the change due,
// and "waiting to be sent". Printed alone on paper.
import { useLayoutEffect, useRef } from "preact/hooks";
import type * as api from "../api";
import { format } from "../money";
import type { OfflineSale } from "./db";
import "./offline.css";

export const provisionalNumber = (sale: OfflineSale) => `P-${sale.key.slice(0, 8).toUpperCase()}`;

export function Provisional({ sale, store, onNext }: { sale: OfflineSale; store: api.Store; onNext: () => void }) {
  const money = (amount: number) => format(amount, sale.currency);
  const next = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => next.current?.focus(), []);
  return (
    <section class="provisional" aria-labelledby="provisional-title">
      <h2 id="provisional-title">Sale kept offline: waiting to be sent</h2>
      <p class="no-print">
        The server is unreachable. The sale is sent by itself, with its own key (never twice), when the connection returns.
      </p>
      <div class="slip">
        <p><strong>{store.name}</strong> · provisional receipt <strong class="number">{provisionalNumber(sale)}</strong></p>
        <p>{new Date(sale.created_at).toLocaleString()}</p>
        <table>
          <tbody>
            {sale.lines.map((l) => (
              <tr key={l.id}><td>{l.tag}</td><td>{l.description}</td><td class="amount">{money(l.net)}</td></tr>
            ))}
          </tbody>
        </table>
        <dl>
          <dt>Total (tax included)</dt><dd>{money(sale.cash)}</dd>
          <dt>Cash received</dt><dd>{money(sale.received)}</dd>
          <dt>Change due</dt><dd class="change"><output>{money(sale.received - sale.cash)}</output></dd>
        </dl>
        <p>Provisional: the final receipt follows when the sale reaches the server.</p>
      </div>
      <p class="no-print">
        <button type="button" onClick={() => window.print()}>Print</button>{" "}
        <button ref={next} type="button" class="primary" onClick={onNext}>New sale</button>
      </p>
    </section>
  );
}
