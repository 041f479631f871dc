// FX rates into the chain's reporting currency (everyone sees them, the HQ
// admin adds one) and metal spot prices per gram of pure metal (a new one
// reprices the pieces priced by weight; big jumps wait for a manager).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { instantOf } from "../clients/zone";
import { FieldError } from "../FieldError";
import { format, parseMajor } from "../money";
import { useProblems } from "../problem";
import { can, HQ, MANAGERS, OVERSIGHT, type ScreenProps } from "../screen";
import { formatTime } from "../time";
import { isHqAdmin } from "./roles";

/** User ids as usernames, for the roles that may list users (others see the id). */
function useUsernames(me: api.Me): (id?: string | null) => string {
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!can(me, OVERSIGHT)) return;
    api.allPages<api.S["UserView"]>("/users", {}, 1000)
      .then((users) => setNames(Object.fromEntries(users.map((u) => [u.id, u.username]))))
      .catch(() => undefined);
  }, []);
  return (id) => (id ? names[id] ?? id : "—");
}

export function Fx({ me, store }: ScreenProps) {
  const admin = isHqAdmin(me);
  const who = useUsernames(me);
  const zone = store?.timezone ?? "UTC";
  const [rates, setRates] = useState<api.S["FxRateList"] | null>(null);
  const [currency, setCurrency] = useState("");
  const [rate, setRate] = useState("");
  const [from, setFrom] = useState("");
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [done, setDone] = useState("");
  const problems = useProblems();

  async function load() {
    try {
      setRates(await api.getJson<api.S["FxRateList"]>("/fx-rates"));
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => void load(), []);

  async function add(event: Event) {
    event.preventDefault();
    problems.clear();
    setDone("");
    try {
      const [day, time] = from.split("T");
      const saved = await api.sendJson<api.S["FxRate"]>("POST", "/fx-rates", {
        currency: currency.trim().toUpperCase(), rate: rate.trim(),
        ...(from ? { effective_at: instantOf(day, time, zone) } : {}),
      }, { idempotencyKey: key });
      setKey(crypto.randomUUID());
      setDone(`1 ${saved.currency} = ${saved.rate} ${saved.reporting_currency} from ${formatTime(saved.effective_at, zone)}.`);
      setCurrency("");
      setRate("");
      setFrom("");
      await load();
    } catch (e) {
      problems.set(e);
      // a refusal is final, a key with it spent; a lost answer keeps it, so a retry is the same request
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    }
  }

  return (
    <>
      <section class="panel" aria-labelledby="fx-heading">
        <h2 id="fx-heading">FX rates into {rates?.reporting_currency ?? "the reporting currency"}</h2>
        <FieldError messages={problems.rest(admin ? ["currency", "rate", "effective_at"] : [])} />
        <table class="list">
          <caption class="sr-only">Rates in force</caption>
          <thead><tr><th>Currency</th><th class="amount">Rate</th><th>In force from</th><th>Recorded by</th></tr></thead>
          <tbody>
            {(rates?.items ?? []).map((r) => (
              <tr key={r.id}>
                <td>1 {r.currency}</td>
                <td class="amount">{r.rate} {r.reporting_currency}</td>
                <td>{formatTime(r.effective_at, zone)}</td>
                <td>{who(r.created_by)}</td>
              </tr>
            ))}
            {rates && !rates.items?.length && <tr><td colSpan={4} class="empty">No rate yet.</td></tr>}
          </tbody>
        </table>
      </section>
      {admin && (
        <section class="panel" aria-labelledby="fx-add-heading">
          <h2 id="fx-add-heading">Add a rate</h2>
          <form class="grid-form" onSubmit={add}>
            <div>
              <label>
                Currency
                <input name="fx_currency" value={currency} placeholder="GBP" maxLength={3} autocomplete="off"
                  onInput={(e) => setCurrency(e.currentTarget.value)} required />
              </label>
              <FieldError messages={problems.about("currency")} />
            </div>
            <div>
              <label>
                Rate (1 unit in {rates?.reporting_currency ?? "the reporting currency"})
                <input name="fx_rate" value={rate} inputMode="decimal" placeholder="1.2650" autocomplete="off"
                  onInput={(e) => setRate(e.currentTarget.value)} required />
              </label>
              <FieldError messages={problems.about("rate")} />
            </div>
            <div>
              <label>
                In force from (empty: now)
                <input name="fx_from" type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
              </label>
              <FieldError messages={problems.about("effective_at")} />
            </div>
            <div class="wide">
              <button type="submit">Add rate</button>
              {done && <span class="ok" role="status"> {done}</span>}
            </div>
          </form>
        </section>
      )}
    </>
  );
}

const METALS = ["gold", "platinum", "palladium", "silver", "other"];

export function Metals({ me, store, stores }: ScreenProps) {
  // the API lets a store manager set one too: it reprices only their stores' pieces
  const admin = can(me, MANAGERS);
  const who = useUsernames(me);
  const currencies = [...new Set(stores.map((s) => s.currency).filter(Boolean))];
  const [metal, setMetal] = useState("gold");
  const [currency, setCurrency] = useState(store?.currency ?? currencies[0] ?? "USD");
  const [price, setPrice] = useState("");
  const [confirm, setConfirm] = useState(false);
  const [results, setResults] = useState<api.S["MetalPriceResult"][]>([]);
  const [prices, setPrices] = useState<api.S["MetalPrice"][] | null>(null);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const problems = useProblems();

  // the chain's list is HQ's: a manager's price reprices only their stores
  const chain = can(me, HQ);

  async function load() {
    if (!chain) return;
    try {
      setPrices(await api.allPages<api.S["MetalPrice"]>("/metal-prices"));
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => void load(), []);

  async function set(event: Event) {
    event.preventDefault();
    problems.clear();
    const amount = parseMajor(price, currency);
    if (amount === null) {
      problems.set(new api.ApiError(422, { status: 422, title: "Unprocessable", errors: { "price_per_gram.amount": [`Enter a price in ${currency}, e.g. 75.40`] } }));
      return;
    }
    try {
      const result = await api.sendJson<api.S["MetalPriceResult"]>("POST", "/metal-prices",
        { metal, price_per_gram: { amount, currency }, confirm }, { idempotencyKey: key });
      setKey(crypto.randomUUID());
      setResults([result, ...results]);
      setPrice("");
      await load();
    } catch (e) {
      problems.set(e);
      // a refusal is final, a key with it spent; a lost answer keeps it, so a retry is the same request
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    }
  }

  return (
    <section class="panel" aria-labelledby="metals-heading">
      <h2 id="metals-heading">Metal prices</h2>
      <p class="hint">A spot price per gram of pure metal. Pieces priced by weight in that currency are repriced;
        a jump above the guard waits for a manager's confirmation unless applied now.</p>
      {admin ? (
        <form class="grid-form" onSubmit={set}>
          <div>
            <label>
              Metal
              <select name="metal" value={metal} onChange={(e) => setMetal(e.currentTarget.value)}>
                {METALS.map((m) => <option value={m}>{m}</option>)}
              </select>
            </label>
            <FieldError messages={problems.about("metal")} />
          </div>
          <div>
            <label>
              Currency
              <select name="metal_currency" value={currency} onChange={(e) => setCurrency(e.currentTarget.value)}>
                {currencies.map((c) => <option value={c}>{c}</option>)}
              </select>
            </label>
          </div>
          <div>
            <label>
              Price per gram
              <input name="price_per_gram" inputMode="decimal" value={price} placeholder="75.40" autocomplete="off"
                onInput={(e) => setPrice(e.currentTarget.value)} required />
            </label>
            <FieldError messages={problems.about("price_per_gram")} />
          </div>
          <div class="wide">
            <label class="check">
              <input type="checkbox" name="confirm" checked={confirm} onChange={(e) => setConfirm(e.currentTarget.checked)} />
              Apply big jumps now (no confirmation)
            </label>
            <FieldError messages={problems.rest(["metal", "price_per_gram", "confirm"])} />
            <button type="submit">Set price</button>
          </div>
        </form>
      ) : (
        <p class="notice">A store manager or HQ sets the spot prices.</p>
      )}
      {chain ? (
      <table class="list">
        <caption>In force</caption>
        <thead><tr><th>Metal</th><th class="amount">Per gram</th><th>Set</th><th>By</th></tr></thead>
        <tbody>
          {(prices ?? []).map((p) => (
            <tr>
              <td>{p.metal}</td>
              <td class="amount">{format(p.price_per_gram.amount, p.price_per_gram.currency)}</td>
              <td>{formatTime(p.set_at, store?.timezone)}</td>
              <td>{who(p.set_by)}</td>
            </tr>
          ))}
          {prices && !prices.length && <tr><td colSpan={4} class="empty">No spot price set yet.</td></tr>}
        </tbody>
      </table>
      ) : (
        <p class="hint">A price set here reprices your stores' pieces only; the chain's list is HQ's.</p>
      )}
      {results.length > 0 && (
        <table class="list">
          <caption>Set now</caption>
          <thead><tr><th>Metal</th><th class="amount">Per gram</th><th class="amount">Repriced</th><th class="amount">Waiting for confirmation</th></tr></thead>
          <tbody>
            {results.map((r) => (
              <tr>
                <td>{r.metal}</td>
                <td class="amount">{format(r.price_per_gram.amount, r.price_per_gram.currency)}</td>
                <td class="amount">{r.repriced}</td>
                <td class="amount">{r.pending_confirmation}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
