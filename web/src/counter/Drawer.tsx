// The cash drawer: opened with a float, cash in or out by hand with a reason,
// closed with the counted cash (typed, or counted by denomination) showing
// expected, counted and over/short; the store's drawers of the day below.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { useIntent } from "../intent";
import { FieldError } from "../FieldError";
import { exponent, format, parseMajor } from "../money";
import { useProblems } from "../problem";
import { formatDay, formatTime, today } from "../time";
import { DENOMINATIONS } from "./DrawerCount";
import { focusIfIdle } from "./HoldClient";
import "./more.css";

type Drawer = api.S["DrawerView"];

/** This terminal's register, kept in the browser (a counter's till stays where it is). */
const REGISTER_KEY = "console.register";
type DrawerList = api.S["DrawerList"];

export function Drawer({ store }: { store: api.Store }) {
  const currency = store.currency ?? "USD";
  const zone = store.timezone;
  const money = (m: { amount: number } | null | undefined) => (m ? format(m.amount, currency) : "—");
  const [list, setList] = useState<DrawerList | null>(null);
  const [register, setRegister] = useState(() => localStorage.getItem(REGISTER_KEY) ?? "main");
  const [float, setFloat] = useState("");
  const [kind, setKind] = useState<"cash_in" | "cash_out">("cash_in");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [counted, setCounted] = useState("");
  const [byNote, setByNote] = useState(false);
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [closed, setClosed] = useState<Drawer | null>(null);
  const [busy, setBusy] = useState(false);
  const openProblems = useProblems();
  const moveProblems = useProblems();
  const closeProblems = useProblems();
  const moving = useIntent();
  const closing = useIntent();
  const listProblems = useProblems();
  const firstInput = useRef<HTMLInputElement>(null);
  const day = today(zone);

  async function load() {
    try {
      setList(await api.getJson<DrawerList>("/drawers", { store_id: store.id, date: day }));
      listProblems.clear();
    } catch (e) {
      listProblems.set(e);
    }
  }
  useEffect(() => {
    void load();
  }, [store.id]);

  const open = list?.items?.find((d) => d.status === "open" && d.register === register.trim());
  const registers = [...new Set((list?.items ?? []).filter((d) => d.status === "open").map((d) => d.register ?? ""))];
  useEffect(() => focusIfIdle(firstInput.current), [open?.id, list === null]);

  const denominations = DENOMINATIONS[currency] ?? [];
  const digits = exponent(currency);
  const countedByNote = denominations.reduce((sum, d) => sum + Math.round(d * 10 ** digits) * (Number(counts[String(d)]) || 0), 0);
  const countedMinor = byNote ? countedByNote : parseMajor(counted, currency);

  async function openDrawer(event: Event) {
    event.preventDefault();
    const minor = parseMajor(float, currency);
    openProblems.clear();
    if (minor === null) {
      openProblems.set(fieldError("float", "Enter the float, the cash the drawer starts with"));
      return;
    }
    setBusy(true);
    try {
      await api.sendJson("POST", "/drawers", { store_id: store.id, register: register.trim() || "main", float: { amount: minor, currency } });
      setFloat("");
      setClosed(null);
      await load();
    } catch (e) {
      openProblems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function move(event: Event) {
    event.preventDefault();
    if (!open) return;
    const minor = parseMajor(amount, currency);
    moveProblems.clear();
    if (minor === null || minor <= 0) {
      moveProblems.set(fieldError("amount", "Enter an amount above zero"));
      return;
    }
    setBusy(true);
    try {
      await api.sendJson("POST", `/drawers/${open.id}/movements`, { kind, amount: { amount: minor, currency }, reason: reason.trim() },
        { idempotencyKey: moving.key() });
      moving.settle();
      setAmount("");
      setReason("");
      await load();
      firstInput.current?.focus();
    } catch (e) {
      moving.settle(e);
      moveProblems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function close(event: Event) {
    event.preventDefault();
    if (!open) return;
    closeProblems.clear();
    if (countedMinor === null) {
      closeProblems.set(fieldError("counted", "Enter the cash counted in the drawer"));
      return;
    }
    setBusy(true);
    try {
      const view = await api.sendJson<Drawer>("POST", `/drawers/${open.id}/close`, { counted: { amount: countedMinor, currency } },
        { idempotencyKey: closing.key() });
      closing.settle();
      setClosed(view);
      setCounted("");
      setCounts({});
      await load();
    } catch (e) {
      closing.settle(e);
      closeProblems.set(e);
    } finally {
      setBusy(false);
    }
  }

  const dayTotal = list?.days?.find((d) => d.store_id === store.id);
  return (
    <div class="more">
      {closed && (
        <section class="panel result" aria-labelledby="closed-title">
          <h2 id="closed-title">Drawer {closed.register} closed</h2>
          <dl class="sums">
            <dt>Expected</dt><dd>{money(closed.expected)}</dd>
            <dt>Counted</dt><dd>{money(closed.counted)}</dd>
            <dt>Over/short</dt><dd class={overShortClass(closed.over_short?.amount)}>{signed(closed.over_short?.amount, currency)}</dd>
          </dl>
        </section>
      )}
      <div class="panel wide register">
        <label class="inline-label">
          Register
          <input name="register" list="open-registers" autocomplete="off" value={register}
            onInput={(e) => { setRegister(e.currentTarget.value); setClosed(null); localStorage.setItem(REGISTER_KEY, e.currentTarget.value.trim()); }} />
        </label>
        <datalist id="open-registers">{registers.map((r) => <option value={r} />)}</datalist>
        <span class="muted">
          {registers.length ? `Open today: ${registers.join(", ")}` : "No drawer is open today."}
        </span>
      </div>
      {list && !open && (
        <section class="panel" aria-labelledby="open-title">
          <h2 id="open-title">Open drawer {register.trim() || "main"}</h2>
          <form onSubmit={openDrawer}>
            <FieldError messages={openProblems.about("register")} />
            <label>
              Float
              <input ref={firstInput} name="float" inputMode="decimal" autocomplete="off" value={float}
                onInput={(e) => setFloat(e.currentTarget.value)} />
            </label>
            <FieldError messages={openProblems.about("float")} />
            <FieldError messages={openProblems.rest(["register", "float"])} />
            <button type="submit" disabled={busy}>Open drawer</button>
          </form>
        </section>
      )}
      {open && (
        <>
          <section class="panel" aria-labelledby="drawer-title">
            <h2 id="drawer-title">Drawer {open.register} · open</h2>
            <p class="muted">Opened {formatTime(open.opened_at, zone)}</p>
            <dl class="sums">
              <dt>Float</dt><dd>{money(open.float)}</dd>
              <dt>Cash sales</dt><dd>{money(open.cash_sales)}</dd>
              <dt>Cash refunds</dt><dd>{signed(-(open.cash_refunds?.amount ?? 0), currency)}</dd>
              <dt>Cash in</dt><dd>{money(open.cash_in)}</dd>
              <dt>Cash out</dt><dd>{signed(-(open.cash_out?.amount ?? 0), currency)}</dd>
              <dt class="total">Expected</dt><dd class="total">{money(open.expected)}</dd>
            </dl>
          </section>
          <section class="panel" aria-labelledby="move-title">
            <h2 id="move-title">Cash in or out</h2>
            <form onSubmit={move}>
              <fieldset class="choice">
                <legend>Direction</legend>
                <label class="radio"><input type="radio" name="kind" checked={kind === "cash_in"} onChange={() => setKind("cash_in")} /> Cash in</label>
                <label class="radio"><input type="radio" name="kind" checked={kind === "cash_out"} onChange={() => setKind("cash_out")} /> Cash out</label>
              </fieldset>
              <label>
                Amount
                <input ref={firstInput} name="amount" inputMode="decimal" autocomplete="off" value={amount}
                  onInput={(e) => setAmount(e.currentTarget.value)} />
              </label>
              <FieldError messages={moveProblems.about("amount")} />
              <label>
                Reason
                <input name="reason" autocomplete="off" placeholder="change from the bank, courier…" value={reason}
                  onInput={(e) => setReason(e.currentTarget.value)} />
              </label>
              <FieldError messages={moveProblems.about("reason")} />
              <FieldError messages={moveProblems.rest(["amount", "reason", "kind"])} />
              <button type="submit" disabled={busy}>Record</button>
            </form>
          </section>
          <section class="panel" aria-labelledby="close-title">
            <h2 id="close-title">Close the drawer</h2>
            <form onSubmit={close}>
              {denominations.length > 0 && (
                <label class="radio">
                  <input type="checkbox" checked={byNote} onChange={(e) => setByNote(e.currentTarget.checked)} /> Count by denomination
                </label>
              )}
              {byNote ? (
                <div class="denominations">
                  {denominations.map((d) => (
                    <label key={d}>
                      {format(Math.round(d * 10 ** digits), currency)} ×
                      <input inputMode="numeric" autocomplete="off" value={counts[String(d)] ?? ""}
                        aria-label={`Count of ${format(Math.round(d * 10 ** digits), currency)}`}
                        onInput={(e) => setCounts({ ...counts, [String(d)]: e.currentTarget.value })} />
                    </label>
                  ))}
                  <p>Counted <output>{format(countedByNote, currency)}</output></p>
                </div>
              ) : (
                <label>
                  Counted cash
                  <input name="counted" inputMode="decimal" autocomplete="off" value={counted}
                    onInput={(e) => setCounted(e.currentTarget.value)} />
                </label>
              )}
              {countedMinor !== null && open.expected && (
                <p>
                  Over/short <output class={overShortClass(countedMinor - open.expected.amount)}>
                    {signed(countedMinor - open.expected.amount, currency)}
                  </output>
                </p>
              )}
              <FieldError messages={closeProblems.about("counted")} />
              <FieldError messages={closeProblems.rest(["counted"])} />
              <button type="submit" disabled={busy}>Close drawer</button>
            </form>
          </section>
        </>
      )}
      <section class="panel wide" aria-labelledby="day-title">
        <div class="head">
          <h2 id="day-title">Drawers of {formatDay(day)}</h2>
          {dayTotal && <p>Over/short for the day <strong class={overShortClass(dayTotal.over_short?.amount)}>{signed(dayTotal.over_short?.amount, currency)}</strong></p>}
        </div>
        <FieldError messages={listProblems.rest([])} />
        <table class="list">
          <thead>
            <tr><th>Register</th><th>Status</th><th>Opened</th><th>Closed</th><th class="amount">Float</th><th class="amount">Expected</th><th class="amount">Counted</th><th class="amount">Over/short</th></tr>
          </thead>
          <tbody>
            {(list?.items ?? []).map((d) => (
              <tr key={d.id}>
                <td>{d.register}</td>
                <td>{d.status}</td>
                <td>{formatTime(d.opened_at, zone)}</td>
                <td>{formatTime(d.closed_at, zone)}</td>
                <td class="amount">{money(d.float)}</td>
                <td class="amount">{money(d.expected)}</td>
                <td class="amount">{money(d.counted)}</td>
                <td class={`amount ${overShortClass(d.over_short?.amount)}`}>{d.over_short ? signed(d.over_short.amount, currency) : "—"}</td>
              </tr>
            ))}
            {list && !list.items?.length && <tr><td colSpan={8} class="empty">No drawer today.</td></tr>}
          </tbody>
        </table>
      </section>
    </div>
  );
}

/** A refusal made here, shaped as the API's (shown next to ``field``). */
export function fieldError(field: string, message: string): api.ApiError {
  return new api.ApiError(422, { status: 422, title: message, detail: message, errors: { [field]: [message] } });
}

export function signed(amount: number | null | undefined, currency: string): string {
  if (amount === null || amount === undefined) return "—";
  if (amount === 0) return format(0, currency);
  return `${amount > 0 ? "+" : "−"}${format(Math.abs(amount), currency)}`;
}

export function overShortClass(amount: number | null | undefined): string {
  if (!amount) return "";
  return amount < 0 ? "short" : "over";
}
