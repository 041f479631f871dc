// Holds at the counter: the pieces held now at the store (for a client, in a
// checkout, on a layaway), a piece held for a client (scan its tag, find the
// client) and a client hold released. Times in the store's zone.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { useProblems } from "../problem";
import { formatTime } from "../time";
import { ClientPicker, type ClientSummary, focusIfIdle, useClientNames } from "./HoldClient";
import "./more.css";

type Hold = api.S["Hold"];

const REASONS: Record<string, string> = { hold: "Client holds", sale: "In a checkout", layaway: "On a layaway", "": "All" };

export function Holds({ store }: { store: api.Store }) {
  const currency = store.currency ?? "USD";
  const zone = store.timezone;
  const [reason, setReason] = useState("hold");
  const [holds, setHolds] = useState<Hold[] | null>(null);
  const [tag, setTag] = useState("");
  const [item, setItem] = useState<api.Item | null>(null);
  const [client, setClient] = useState<ClientSummary | null>(null);
  const [hours, setHours] = useState("48");
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const scanProblems = useProblems();
  const listProblems = useProblems();
  const tagInput = useRef<HTMLInputElement>(null);
  const holdButton = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (client) holdButton.current?.focus(); // the client found: Enter holds the piece
  }, [client]);
  const names = useClientNames((holds ?? []).map((h) => h.client_id));

  async function load() {
    try {
      setHolds(await api.allPages<Hold>("/holds", { store_id: store.id, reason: reason || undefined }, 400));
      listProblems.clear();
    } catch (e) {
      listProblems.set(e);
    }
  }

  useEffect(() => {
    void load();
  }, [store.id, reason]);
  useEffect(() => focusIfIdle(tagInput.current), []);

  async function scan(event: Event) {
    event.preventDefault();
    const code = tag.trim();
    if (!code) return;
    scanProblems.clear();
    problems.clear();
    setDone(null);
    try {
      const found = await api.itemByTag(code);
      if (found.store_id !== store.id) throw new Error(`${found.tag} is in another store`);
      if (found.status !== "in_stock") throw new Error(`${found.tag} is ${found.status?.replace(/_/g, " ")}, it cannot be held`);
      setItem(found);
      setTag("");
    } catch (e) {
      scanProblems.set(e instanceof api.ApiError && e.status === 404 ? new Error(`No piece has the tag ${code}`) : e);
    }
  }

  async function hold(event: Event) {
    event.preventDefault();
    if (!item || !client) return;
    setBusy(true);
    problems.clear();
    try {
      const made = await api.sendJson<api.S["Reservation"]>("POST", `/items/${item.id}/reservations`,
        { client_id: client.id, hold_hours: Number(hours) || 48 }, { idempotencyKey: crypto.randomUUID() });
      setDone(`${item.tag} is held for ${client.first_name} ${client.last_name} until ${formatTime(made.expires_at, zone)}`);
      setItem(null);
      setClient(null);
      await load();
      tagInput.current?.focus();
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function release(h: Hold) {
    listProblems.clear();
    try {
      await api.sendJson("DELETE", `/reservations/${h.ref_id}`);
      setDone(`${h.tag} is back in stock`);
      await load();
      tagInput.current?.focus();
    } catch (e) {
      listProblems.set(e);
    }
  }

  const now = Date.now();
  return (
    <div class="more">
      <section class="panel" aria-labelledby="new-hold">
        <h2 id="new-hold">Hold a piece for a client</h2>
        <form onSubmit={scan}>
          <label>
            Tag
            <input ref={tagInput} name="tag" autocomplete="off" placeholder="scan or type a tag, then Enter"
              value={tag} onInput={(e) => setTag(e.currentTarget.value)} />
          </label>
          <FieldError messages={scanProblems.rest([])} />
        </form>
        {item && (
          <form onSubmit={hold}>
            <p class="piece">
              <strong>{item.tag}</strong> {item.description} · {format(item.price?.amount ?? 0, currency)}
            </p>
            <ClientPicker id="hold-client" value={client} onPick={setClient} messages={problems.about("client_id")} autoFocus />
            <label>
              Hold for (hours)
              <input name="hold_hours" inputMode="numeric" value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
            </label>
            <FieldError messages={problems.about("hold_hours")} />
            <FieldError messages={problems.rest(["client_id", "hold_hours", "tag"])} />
            <div class="actions">
              <button type="submit" ref={holdButton} disabled={busy || !client}>Hold</button>
              <button type="button" onClick={() => { setItem(null); setClient(null); problems.clear(); }}>Cancel</button>
            </div>
          </form>
        )}
        {done && <p class="ok" role="status">{done}</p>}
      </section>
      <section class="panel wide" aria-labelledby="held-now">
        <div class="head">
          <h2 id="held-now">Held now at {store.code}</h2>
          <label class="inline-label">
            Show
            <select value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
              {Object.entries(REASONS).map(([value, label]) => <option value={value}>{label}</option>)}
            </select>
          </label>
        </div>
        <FieldError messages={listProblems.rest([])} />
        <table class="list">
          <thead>
            <tr><th>Tag</th><th>Piece</th><th>For</th><th class="amount">Price</th><th>Held</th><th>Expires</th><th><span class="sr-only">Action</span></th></tr>
          </thead>
          <tbody>
            {(holds ?? []).map((h) => {
              const soon = h.expires_at && new Date(h.expires_at).getTime() - now < 6 * 3600 * 1000;
              return (
                <tr key={h.item_id}>
                  <td>{h.tag}</td>
                  <td>{h.description}</td>
                  <td>{h.reason === "hold" ? names[h.client_id ?? ""] ?? "…" : h.reason === "sale" ? "checkout" : "layaway"}</td>
                  <td class="amount">{h.price ? format(h.price.amount, h.price.currency) : "—"}</td>
                  <td>{formatTime(h.held_at, zone)}</td>
                  <td class={soon ? "soon" : undefined}>{h.reason === "hold" ? formatTime(h.expires_at, zone) : "—"}</td>
                  <td>
                    {h.reason === "hold" && h.ref_id && (
                      <button type="button" onClick={() => release(h)} aria-label={`Release ${h.tag}`}>Release</button>
                    )}
                  </td>
                </tr>
              );
            })}
            {holds && !holds.length && <tr><td colSpan={7} class="empty">Nothing is held.</td></tr>}
            {!holds && <tr><td colSpan={7} class="empty">Loading…</td></tr>}
          </tbody>
        </table>
      </section>
    </div>
  );
}
