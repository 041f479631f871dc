// One payment toward the total: cash (with the change due), a card (the
// terminal's payment method), a gift card (its balance looked up), the client's
// store credit or points. The amount starts at what is still to pay; a
// payment that covers it completes the sale, a smaller one leaves the rest
// for the next (a split).
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { exponent, format, parseMajor } from "../money";

export type Method = "cash" | "card" | "gift_card" | "store_credit" | "loyalty_points";

export interface TenderDraft {
  method: Method;
  amount: number; // minor units, the store's currency
  received?: number; // cash handed over
  paymentMethod?: string; // card keyed in (a payment method id)
  readerId?: string; // card on the store's reader
  readerLabel?: string;
  giftCardCode?: string;
}

const LABELS: Record<Method, string> = {
  cash: "Cash",
  card: "Card",
  gift_card: "Gift card",
  store_credit: "Store credit",
  loyalty_points: "Points",
};

export function tenderLabel(t: TenderDraft): string {
  if (t.method === "gift_card") return `Gift card ${t.giftCardCode ?? ""}`.trim();
  if (t.method === "card") return t.readerLabel ? `Card on ${t.readerLabel}` : `Card ${t.paymentMethod ?? ""}`.trim();
  return LABELS[t.method];
}

export function tenderBody(t: TenderDraft, currency: string): api.S["TenderInput"] {
  const amount = { amount: t.amount, currency };
  return {
    method: t.method,
    amount,
    received: t.method === "cash" && t.received !== undefined ? { amount: t.received, currency } : null,
    payment_method: t.method === "card" && !t.readerId ? t.paymentMethod : null,
    ...(t.method === "card" && t.readerId ? { reader_id: t.readerId } : {}),
    gift_card_code: t.method === "gift_card" ? t.giftCardCode : null,
  };
}

const major = (minor: number, currency: string) => (minor / 10 ** exponent(currency)).toFixed(exponent(currency));

interface Props {
  currency: string;
  remaining: number;
  client: { id: string } | null;
  disabled: boolean;
  onAdd: (draft: TenderDraft) => void;
  /** Set to a function that puts the focus on this form (after the client is attached, say). */
  focusRef: { current: () => void };
  /** The store's card readers (Stripe Terminal); none: a card is keyed in as a payment method. */
  readers?: api.S["ReaderView"][];
  /** The gateway is unreachable: cash only (the sale waits to be sent, offline/queue.ts). */
  offline?: boolean;
}

export const OFFLINE_CASH_ONLY = "Offline: cash only. Card, gift card, store credit and points need the connection to the server; take cash or wait until it returns.";

export function TenderForm({ currency, remaining, client, disabled, onAdd, focusRef, readers = [], offline = false }: Props) {
  const [method, setMethod] = useState<Method>("cash");
  const [amount, setAmount] = useState(major(remaining, currency));
  const [received, setReceived] = useState("");
  const [card, setCard] = useState("");
  const [reader, setReader] = useState(""); // "" until chosen: the first reader, if any
  const [code, setCode] = useState("");
  const [balance, setBalance] = useState<string | null>(null);
  const [error, setError] = useState<{ field: string; messages: string[] } | null>(null);
  const methodSelect = useRef<HTMLSelectElement>(null);
  focusRef.current = () => methodSelect.current?.focus();

  // what is still to pay is the amount of the next payment, unless one is typed
  useEffect(() => {
    if (offline) setMethod("cash");
  }, [offline]);
  useEffect(() => {
    setAmount(major(remaining, currency));
    setReceived("");
    setError(null);
  }, [remaining]);

  const money = (minor: number) => format(minor, currency);
  const value = parseMajor(amount, currency);
  const given = parseMajor(received, currency);
  const methods: Method[] = offline ? ["cash"] : client ? ["cash", "card", "gift_card", "store_credit", "loyalty_points"] : ["cash", "card", "gift_card"];
  const fail = (field: string, message: string) => setError({ field, messages: [message] });

  /** The card's balance shown, and the amount cut to it; false: the card cannot pay. */
  async function checkBalance(): Promise<boolean> {
    setBalance(null);
    setError(null);
    if (!code.trim()) {
      fail("code", "Scan or type the gift card's code");
      return false;
    }
    try {
      const card = await api.getJson<api.S["GiftCardView"]>(`/gift-cards/${encodeURIComponent(code.trim())}`);
      if (card.status !== "active") fail("code", `This gift card is ${card.status}`);
      else if (card.balance?.currency !== currency) fail("code", `This gift card is in ${card.balance?.currency}`);
      else {
        const bal = card.balance?.amount ?? 0;
        setBalance(money(bal));
        if (value !== null && value > bal) setAmount(major(bal, currency)); // the card pays what it holds
        return bal > 0;
      }
    } catch (e) {
      fail("code", e instanceof api.ApiError && e.status === 404 ? "No gift card has this code" : String(e));
    }
    return false;
  }

  function add(event: Event) {
    event.preventDefault();
    // a scanned gift card and Enter: its balance first (the amount cut to it), Enter again to pay
    if (method === "gift_card" && code.trim() && balance === null) {
      void checkBalance();
      return;
    }
    setError(null);
    if (value === null || value <= 0) return fail("amount", "Type the amount of this payment");
    if (value > remaining) return fail("amount", `At most ${money(remaining)} is still to pay`);
    const draft: TenderDraft = { method, amount: value };
    if (method === "cash") {
      if (received.trim()) {
        if (given === null || given < value) return fail("received", `Enter the cash received, at least ${money(value)}`);
        draft.received = given;
      }
    } else if (method === "card") {
      const chosen = readers.find((r) => r.id === (reader || readers[0]?.id));
      if (chosen && reader !== "keyed") {
        draft.readerId = chosen.id;
        draft.readerLabel = chosen.label;
      } else {
        if (!/^(pm|card|src)_[A-Za-z0-9_]+$/.test(card.trim())) return fail("card", "The payment method the card terminal gives (pm_…)");
        draft.paymentMethod = card.trim();
      }
    } else if (method === "gift_card") {
      if (!code.trim()) return fail("code", "Scan or type the gift card's code");
      draft.giftCardCode = code.trim();
    }
    onAdd(draft);
    setMethod("cash"); // the rest most often in cash
    setCode("");
    setBalance(null);
    window.setTimeout(() => methodSelect.current?.focus(), 0);
  }

  const at = (field: string) => (error?.field === field ? error.messages : undefined);
  const covers = value === remaining;
  return (
    <form class="pay" onSubmit={add} aria-label="Payment">
      {offline && <p class="hint offline-only" role="status">{OFFLINE_CASH_ONLY}</p>}
      <div class="pair">
        <label>
          Pay by
          <select ref={methodSelect} value={method} disabled={disabled}
            onChange={(e) => { setMethod(e.currentTarget.value as Method); setError(null); }}>
            {methods.map((m) => <option value={m}>{LABELS[m]}</option>)}
          </select>
        </label>
        <label>
          Amount
          <input name="amount" inputMode="decimal" autocomplete="off" value={amount} disabled={disabled}
            onInput={(e) => setAmount(e.currentTarget.value)} />
          <FieldError messages={at("amount")} />
        </label>
      </div>
      {method === "cash" && (
        <>
          <label>
            Cash received
            <input name="received" inputMode="decimal" autocomplete="off" value={received} disabled={disabled}
              placeholder={value !== null ? major(value, currency) : ""} onInput={(e) => setReceived(e.currentTarget.value)} />
            <FieldError messages={at("received")} />
          </label>
          <p class="change">
            Change due <output>{value !== null && given !== null && given >= value ? money(given - value) : "—"}</output>
          </p>
        </>
      )}
      {method === "card" && readers.length > 0 && (
        <label>
          Card reader
          <select name="reader" value={reader || readers[0].id} disabled={disabled} onChange={(e) => setReader(e.currentTarget.value)}>
            {readers.map((r) => <option value={r.id}>{r.label}</option>)}
            <option value="keyed">Keyed in (payment method id)</option>
          </select>
        </label>
      )}
      {method === "card" && (readers.length === 0 || reader === "keyed") && (
        <label>
          Card payment method
          <input name="card" autocomplete="off" value={card} disabled={disabled} placeholder="from the terminal: pm_…"
            onInput={(e) => setCard(e.currentTarget.value)} />
          <FieldError messages={at("card")} />
        </label>
      )}
      {method === "gift_card" && (
        <>
          <div class="inline">
            <label>
              Gift card code
              <input name="gift_card" autocomplete="off" value={code} disabled={disabled}
                onInput={(e) => { setCode(e.currentTarget.value); setBalance(null); }} />
            </label>
            <button type="button" onClick={() => void checkBalance()} disabled={disabled}>Check balance</button>
          </div>
          {balance && <p class="hint" role="status">Balance <output>{balance}</output></p>}
          <FieldError messages={at("code")} />
        </>
      )}
      {(method === "store_credit" || method === "loyalty_points") && (
        <p class="hint">{method === "store_credit" ? "From the client's store credit." : "Points at their value; the server counts them."}</p>
      )}
      <button type="submit" class="primary" disabled={disabled}>
        {covers ? `Take ${LABELS[method].toLowerCase()} and complete` : `Add ${LABELS[method].toLowerCase()} payment`}
      </button>
    </form>
  );
}
