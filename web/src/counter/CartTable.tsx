// The cart: each piece with its price, its discount (a percentage or an
// amount, with the reason the server requires) and what it sells for. A line
// the server refused carries the server's message under it.
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type * as api from "../api";
import { FieldError } from "../FieldError";
import { bpsOf, format, parseMajor } from "../money";

export interface LineDiscount {
  percentBps?: number;
  amount?: number; // minor units
  reason: string;
  text: string; // as typed: "10%" or "25.00"
}

/** The discount of a line in minor units (as the payments service rounds a percentage). */
export function discountOf(d: LineDiscount | undefined, list: number): number {
  if (!d) return 0;
  return d.percentBps !== undefined ? bpsOf(list, d.percentBps) : (d.amount ?? 0);
}

/** "10%", "12.5 %" or an amount ("25", "25.00") in the store's currency; null: neither. */
export function parseDiscount(text: string, currency: string): Omit<LineDiscount, "reason"> | null {
  const t = text.trim();
  const percent = /^(\d{1,3}(?:\.\d{1,2})?)\s*%$/.exec(t);
  if (percent) {
    const bps = Math.round(Number(percent[1]) * 100);
    return bps >= 1 && bps <= 10000 ? { percentBps: bps, text: `${Number(percent[1])}%` } : null;
  }
  const amount = parseMajor(t, currency);
  return amount !== null && amount > 0 ? { amount, text: t } : null;
}

interface Line {
  item: api.Item;
  list: number;
  off: number;
  net: number;
}

interface Props {
  lines: Line[];
  currency: string;
  discounts: Record<string, LineDiscount>;
  /** The messages about a line (by its index and item id), or undefined. */
  errors: (index: number, id: string) => string[] | undefined;
  /** The role's limit as the server named it (basis points), once known. */
  limitBps: number | null;
  onDiscount: (id: string, discount: LineDiscount | null) => string | null;
  onRemove: (id: string) => void;
}

export function CartTable({ lines, currency, discounts, errors, limitBps, onDiscount, onRemove }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const money = (amount: number) => format(amount, currency);
  return (
    <table class="cart">
      <caption class="sr-only">The pieces in the cart</caption>
      <thead>
        <tr>
          <th scope="col">Tag</th>
          <th scope="col">Piece</th>
          <th scope="col" class="amount">Price</th>
          <th scope="col" class="amount">Discount</th>
          <th scope="col" class="amount">Sells for</th>
          <th scope="col"><span class="sr-only">Actions</span></th>
        </tr>
      </thead>
      <tbody>
        {lines.map(({ item, list, off, net }, index) => {
          const id = item.id ?? "";
          const messages = errors(index, id);
          return (
            <Fragment key={id}>
              <tr class={messages ? "refused" : undefined}>
                <td>{item.tag}</td>
                <td>{item.description}</td>
                <td class="amount">{money(list)}</td>
                <td class="amount">{off ? `−${money(off)}` : "—"}
                  {discounts[id] && <small class="why">{discounts[id].text} · {discounts[id].reason}</small>}
                </td>
                <td class="amount">{money(net)}</td>
                <td class="row-actions">
                  <button type="button" class="link" aria-expanded={editing === id}
                    aria-label={`Discount ${item.tag}`} onClick={() => setEditing(editing === id ? null : id)}>
                    Discount
                  </button>
                  <button type="button" class="link" onClick={() => onRemove(id)} aria-label={`Remove ${item.tag}`}>
                    Remove
                  </button>
                </td>
              </tr>
              {messages && (
                <tr class="line-error">
                  <td colSpan={6}><FieldError messages={messages} /></td>
                </tr>
              )}
              {editing === id && (
                <tr class="editor">
                  <td colSpan={6}>
                    <DiscountEditor item={item} currency={currency} current={discounts[id]} limitBps={limitBps}
                      onApply={(d) => {
                        const why = onDiscount(id, d);
                        if (!why) setEditing(null);
                        return why;
                      }}
                      onCancel={() => setEditing(null)} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
        {!lines.length && (
          <tr><td colSpan={6} class="empty">The cart is empty: scan a piece's tag or find it by words.</td></tr>
        )}
      </tbody>
    </table>
  );
}

interface EditorProps {
  item: api.Item;
  currency: string;
  current?: LineDiscount;
  limitBps: number | null;
  onApply: (d: LineDiscount | null) => string | null;
  onCancel: () => void;
}

function DiscountEditor({ item, currency, current, limitBps, onApply, onCancel }: EditorProps) {
  const [text, setText] = useState(current?.text ?? "");
  const [reason, setReason] = useState(current?.reason ?? "");
  const [error, setError] = useState<{ field: string; messages: string[] } | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);

  function apply(event: Event) {
    event.preventDefault();
    const parsed = parseDiscount(text, currency);
    if (!parsed) {
      setError({ field: "amount", messages: ["Type a percentage (10%) or an amount (25.00)"] });
      return;
    }
    if (!reason.trim()) {
      setError({ field: "reason", messages: ["Say why (the receipt and the audit keep it)"] });
      return;
    }
    const why = onApply({ ...parsed, reason: reason.trim() });
    if (why) setError({ field: "amount", messages: [why] });
  }

  return (
    <form class="discount" onSubmit={apply} onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <label>
        Discount on {item.tag}
        <input ref={first} value={text} autocomplete="off" inputMode="decimal"
          placeholder={limitBps !== null ? `up to ${limitBps / 100}%` : "10% or 25.00"}
          onInput={(e) => setText(e.currentTarget.value)} />
        <FieldError messages={error?.field === "amount" ? error.messages : undefined} />
      </label>
      <label>
        Reason
        <input value={reason} autocomplete="off" maxLength={200} onInput={(e) => setReason(e.currentTarget.value)} />
        <FieldError messages={error?.field === "reason" ? error.messages : undefined} />
      </label>
      <div class="actions">
        <button type="submit">Apply</button>
        {current && <button type="button" onClick={() => onApply(null)}>No discount</button>}
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
      {limitBps !== null && <p class="hint">Your role may discount up to {limitBps / 100}% of a line.</p>}
    </form>
  );
}
