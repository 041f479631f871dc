// The sale done: the change due, the receipt as the payments service writes
// it (printed alone on paper: sale.css's print rules), and, for a client who
// agreed to it, the receipt the notifications service sends them by e-mail or
// text (it goes out on the sale's completion; here its delivery status).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";

interface Props {
  sale: api.SaleView;
  store: api.Store;
  client: api.S["ClientSummary"] | null;
  onNext: () => void;
}

const CHANNELS: Record<string, string> = { email: "e-mail", sms: "text" };

export function ReceiptView({ sale, store, client, onNext }: Props) {
  const currency = sale.total?.currency ?? store.currency ?? "USD";
  const money = (amount: number) => format(amount, currency);
  const [receipt, setReceipt] = useState<string | null>(null);
  const [error, setError] = useState<string[] | undefined>();
  const [sent, setSent] = useState<api.S["MessageView"][] | null>(null);
  const next = useRef<HTMLButtonElement>(null);
  const frame = useRef<HTMLIFrameElement>(null);

  useLayoutEffect(() => {
    next.current?.focus();
    if (!sale.id) return;
    api.receiptHtml(sale.id).then(setReceipt).catch((e) => setError([e instanceof Error ? e.message : String(e)]));
  }, [sale.id]);

  useEffect(() => {
    // the receipt message is queued when the sale's event reaches the notifications service
    if (!sale.client_id) return;
    let tries = 0;
    let timer: number | undefined;
    const look = async () => {
      try {
        const page = await api.getJson<api.S["MessagePage"]>("/messages", { client_id: sale.client_id, trigger: "receipt", limit: 10 });
        const mine = (page.items ?? []).filter((m) => !sale.receipt_number || (m.body ?? "").includes(sale.receipt_number) || (m.subject ?? "").includes(sale.receipt_number));
        if (mine.length || ++tries >= 6) setSent(mine);
        else timer = window.setTimeout(look, 1000);
      } catch {
        setSent([]);
      }
    };
    void look();
    return () => window.clearTimeout(timer);
  }, [sale.id]);

  /** The receipt's own height, so that it prints whole and shows without a scroll bar. */
  function fit() {
    const doc = frame.current?.contentDocument;
    if (doc?.documentElement && frame.current) frame.current.style.height = `${doc.documentElement.scrollHeight + 8}px`;
  }

  const change = sale.change_due?.amount ?? 0;
  return (
    <section class="done sale-done" aria-labelledby="done-heading">
      <div class="done-head">
        <h2 id="done-heading">Sale {sale.receipt_number} completed</h2>
        <p>Total {money(sale.total?.amount ?? 0)}{client ? ` · ${client.first_name} ${client.last_name}` : ""}</p>
        <p class="change">Change due <output>{money(change)}</output></p>
        <ul class="paid" aria-label="Paid by">
          {(sale.tenders ?? []).map((t) => (
            <li key={t.id}>{t.method?.replace(/_/g, " ")} {money(t.amount?.amount ?? 0)}
              {t.card?.last4 ? ` ·••• ${t.card.last4}` : ""}</li>
          ))}
        </ul>
        <div class="actions">
          <button type="button" onClick={() => window.print()} disabled={receipt === null}>Print receipt</button>
          <button type="button" class="primary" ref={next} onClick={onNext}>New sale</button>
        </div>
        {sale.client_id && (
          <p class="sent" role="status">
            {sent === null && "Sending the receipt to the client…"}
            {sent !== null && !sent.length && "No receipt message: it goes by e-mail or text only with the client's consent."}
            {sent?.map((m) => (
              <span key={m.id}>Receipt by {CHANNELS[m.channel ?? ""] ?? m.channel} to {m.to}: {m.status}. </span>
            ))}
          </p>
        )}
        <FieldError messages={error} />
      </div>
      {receipt !== null && (
        <iframe ref={frame} class="receipt" title={`Receipt ${sale.receipt_number ?? ""}`} sandbox="allow-same-origin"
          srcdoc={receipt} onLoad={fit} />
      )}
    </section>
  );
}
