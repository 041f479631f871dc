// A client's profile: what they are worth to the chain (lifetime value, tier,
// points, store credit), their timeline, consent (shown as recorded: who
// changed it, when, how), milestones, the wish list, and a change or a booking
// one click away. A client of other stores only shows what identifies them.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { useProblems } from "../problem";
import { can, SELLERS, type ScreenProps } from "../screen";
import { formatDay, formatTime } from "../time";
import { ClientForm } from "./ClientForm";

type Client = api.S["ClientView"];
type Entry = api.S["TimelineEntry"];

interface Props extends ScreenProps {
  id: string;
}

const KINDS: Record<string, string> = {
  purchase: "Purchase", return: "Return", work_order: "Repair", message: "Message",
  appointment: "Appointment", wish_alert: "Wish alert", note: "Note",
};

export function Profile(props: Props) {
  const { id, me, store, stores } = props;
  const [client, setClient] = useState<Client | null>(null);
  const [credit, setCredit] = useState<api.S["Money"][]>([]);
  const [editing, setEditing] = useState(false);
  const problems = useProblems();
  const writer = can(me, SELLERS);
  const zone = store?.timezone;

  async function load() {
    problems.clear();
    try {
      setClient(await api.getJson<Client>(`/clients/${id}`));
    } catch (e) {
      problems.set(e);
    }
    api.getJson<api.S["StoreCreditView"]>(`/clients/${id}/store-credit`)
      .then((c) => setCredit(c.balances ?? []))
      .catch(() => setCredit([]));
  }

  useEffect(() => void load(), [id]);

  if (!client) {
    return (
      <section class="panel">
        <p><a href="#/clients/find">← Back to the search</a></p>
        <FieldError messages={problems.rest([])} />
        {!problems.any && <p>Loading…</p>}
      </section>
    );
  }
  if (editing) {
    return <ClientForm {...props} client={client} onCancel={() => setEditing(false)}
      onSaved={(c) => { setClient({ ...client, ...c }); setEditing(false); }} />;
  }
  const full = client.lifetime_value !== undefined;
  const home = stores.find((s) => s.id === client.home_store_id);
  const values = client.lifetime_value_by_currency?.length ? client.lifetime_value_by_currency : client.lifetime_value ? [client.lifetime_value] : [];

  return (
    <div class="profile">
      <section class="panel head" aria-labelledby="client-name">
        <p class="back"><a href="#/clients/find">← Back to the search</a></p>
        <div class="title">
          <h2 id="client-name">{client.first_name} {client.last_name}</h2>
          {client.tier && <span class={`tier tier-${client.tier}`}>{client.tier}</span>}
          <div class="actions">
            {writer && full && <button type="button" onClick={() => setEditing(true)}>Edit</button>}
            {writer && <a class="button" href={`#/clients/calendar/${client.id}`}>Book a viewing</a>}
          </div>
        </div>
        <p class="contact">
          {client.phone ?? "no phone"} · {client.email ?? "no e-mail"} · home store {home ? `${home.code} · ${home.name}` : "another store"}
          {client.ring_size ? ` · ring size ${client.ring_size}` : ""}
        </p>
        {full && (
          <dl class="stats">
            <div><dt>Lifetime value</dt><dd>{values.length ? values.map((m) => format(m.amount, m.currency)).join(" + ") : "—"}</dd></div>
            <div><dt>Loyalty points</dt><dd>{(client.loyalty_points ?? 0).toLocaleString()}</dd></div>
            <div><dt>Store credit</dt><dd>{credit.length ? credit.map((m) => format(m.amount, m.currency)).join(" + ") : format(0, store?.currency ?? "USD")}</dd></div>
            <div><dt>Last purchase</dt><dd>{formatDay(client.last_purchase_at, zone)}</dd></div>
          </dl>
        )}
        {!full && <p class="notice">A client of another store: only what identifies them is shown here.</p>}
        {client.notes && <p class="notes">{client.notes}</p>}
      </section>
      {full && (
        <div class="profile-grid">
          <Timeline id={client.id} zone={zone} />
          <div class="side">
            <Consent client={client} writer={writer} zone={zone} onChanged={setClient} />
            <Milestones client={client} writer={writer} onChanged={setClient} />
            <Wishlist client={client} writer={writer} zone={zone} onChanged={load} />
          </div>
        </div>
      )}
    </div>
  );
}

function Timeline({ id, zone }: { id: string; zone?: string }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const problems = useProblems();

  async function more(from: string | null) {
    try {
      const page = await api.getJson<api.S["TimelinePage"]>(`/clients/${id}/timeline`, { limit: 20, cursor: from });
      setEntries((old) => (from ? [...old, ...(page.items ?? [])] : page.items ?? []));
      setCursor(page.next_cursor ?? null);
    } catch (e) {
      problems.set(e);
    } finally {
      setLoaded(true);
    }
  }
  useEffect(() => void more(null), [id]);

  return (
    <section class="panel timeline" aria-labelledby="timeline-heading">
      <h3 id="timeline-heading">Timeline</h3>
      <FieldError messages={problems.rest([])} />
      <ol>
        {entries.map((e) => (
          <li key={e.id}>
            <span class={`kind kind-${e.kind}`}>{KINDS[e.kind ?? ""] ?? e.kind}</span>
            <span class="summary">{e.summary}</span>
            <time dateTime={e.at}>{formatTime(e.at, zone)}</time>
          </li>
        ))}
      </ol>
      {loaded && !entries.length && <p class="empty">Nothing yet: purchases, repairs, messages and viewings show here.</p>}
      {cursor && <button type="button" onClick={() => more(cursor)}>Older</button>}
    </section>
  );
}

function Consent({ client, writer, zone, onChanged }: { client: Client; writer: boolean; zone?: string; onChanged: (c: Client) => void }) {
  const problems = useProblems();
  const [busy, setBusy] = useState(false);
  const channels = [{ id: "sms", label: "Text messages (SMS)" }, { id: "email", label: "E-mails" }];

  async function change(channel: string, granted: boolean) {
    setBusy(true);
    problems.clear();
    try {
      onChanged(await api.sendJson<Client>("PATCH", `/clients/${client.id}`, { consent: { [channel]: granted, source: "counter" } }));
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="consent-heading">
      <h3 id="consent-heading">Consent</h3>
      <ul class="consent-list">
        {channels.map((c) => {
          const state = client.consent_details?.[c.id];
          const granted = state?.granted ?? client.consent?.[c.id] ?? false;
          return (
            <li key={c.id}>
              <div>
                <strong>{c.label}</strong>{" "}
                <span class={granted ? "yes" : "no"}>{granted ? "opted in" : "not opted in"}</span>
                <small>{state?.changed_at ? `since ${formatTime(state.changed_at, zone)}${state.source ? ` (${state.source})` : ""}` : "never asked"}</small>
              </div>
              {writer && (
                <button type="button" disabled={busy} onClick={() => change(c.id, !granted)}>
                  {granted ? `Opt out of ${c.id === "sms" ? "SMS" : "e-mail"}` : `Opt in to ${c.id === "sms" ? "SMS" : "e-mail"}`}
                </button>
              )}
            </li>
          );
        })}
      </ul>
      <FieldError messages={problems.rest([])} />
    </section>
  );
}

type Milestone = { kind: string; date: string; label: string };
const MILESTONE_KINDS = ["birthday", "anniversary", "engagement", "custom"];

function Milestones({ client, writer, onChanged }: { client: Client; writer: boolean; onChanged: (c: Client) => void }) {
  const saved: Milestone[] = (client.milestones ?? []).map((m) => ({ kind: m.kind, date: m.date, label: m.label ?? "" }));
  const [rows, setRows] = useState<Milestone[] | null>(null);
  const problems = useProblems();

  async function save(event: Event) {
    event.preventDefault();
    problems.clear();
    try {
      const body = (rows ?? []).map((m) => ({ kind: m.kind, date: m.date.trim(), ...(m.label.trim() ? { label: m.label.trim() } : {}) }));
      onChanged(await api.sendJson<Client>("PATCH", `/clients/${client.id}`, { milestones: body }));
      setRows(null);
    } catch (e) {
      problems.set(e);
    }
  }
  const edit = (i: number, change: Partial<Milestone>) => setRows((rows ?? []).map((m, j) => (i === j ? { ...m, ...change } : m)));

  return (
    <section class="panel" aria-labelledby="milestones-heading">
      <h3 id="milestones-heading">Milestones</h3>
      {rows === null ? (
        <>
          <ul class="plain">
            {saved.map((m) => <li>{m.label || m.kind}: {m.date.startsWith("--") ? formatMonthDay(m.date) : formatDay(m.date)}</li>)}
            {!saved.length && <li class="empty">No birthday or anniversary yet.</li>}
          </ul>
          {writer && <button type="button" onClick={() => setRows(saved)}>Edit milestones</button>}
        </>
      ) : (
        <form onSubmit={save}>
          {rows.map((m, i) => (
            <fieldset class="milestone" key={i}>
              <legend class="sr-only">Milestone {i + 1}</legend>
              <label>
                Kind
                <select value={m.kind} onChange={(e) => edit(i, { kind: e.currentTarget.value })}>
                  {MILESTONE_KINDS.map((k) => <option value={k}>{k}</option>)}
                </select>
              </label>
              <label>
                Date
                <input value={m.date} placeholder="1980-06-14 or --06-14" onInput={(e) => edit(i, { date: e.currentTarget.value })} />
              </label>
              <label>
                Label
                <input value={m.label} onInput={(e) => edit(i, { label: e.currentTarget.value })} />
              </label>
              <button type="button" aria-label={`Remove milestone ${i + 1}`} onClick={() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
              <FieldError messages={problems.about(`milestones.${i}`)} />
            </fieldset>
          ))}
          <FieldError messages={problems.rest(["milestones"].flatMap((f) => rows.map((_, i) => `${f}.${i}`)))} />
          <div class="actions">
            <button type="button" onClick={() => setRows([...rows, { kind: "birthday", date: "", label: "" }])}>Add a milestone</button>
            <button type="submit">Save milestones</button>
            <button type="button" onClick={() => { setRows(null); problems.clear(); }}>Cancel</button>
          </div>
        </form>
      )}
    </section>
  );
}

function formatMonthDay(date: string): string {
  const [, , month, day] = date.split("-");
  return new Intl.DateTimeFormat(undefined, { month: "long", day: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(2000, Number(month) - 1, Number(day))));
}

function Wishlist({ client, writer, zone, onChanged }: { client: Client; writer: boolean; zone?: string; onChanged: () => void }) {
  const [tag, setTag] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const wishes = (client.wishlist ?? []).filter((w) => w.status !== "removed");

  async function add(event: Event) {
    event.preventDefault();
    setBusy(true);
    problems.clear();
    try {
      const body: Record<string, string> = {};
      if (tag.trim()) body.item_id = (await api.itemByTag(tag.trim())).id!;
      if (description.trim()) body.description = description.trim();
      await api.sendJson("POST", `/clients/${client.id}/wishlist`, body);
      setTag("");
      setDescription("");
      onChanged();
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404 && tag.trim() && !e.about("item_id").length) {
        problems.set(new api.ApiError(404, { status: 404, title: "Not Found", errors: { tag: [`No piece has the tag ${tag.trim()}`] } }));
      } else problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  async function remove(wish: api.S["WishView"]) {
    problems.clear();
    try {
      await api.sendJson("DELETE", `/clients/${client.id}/wishlist/${wish.id}`);
      onChanged();
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <section class="panel" aria-labelledby="wishlist-heading">
      <h3 id="wishlist-heading">Wish list</h3>
      <ul class="wishes">
        {wishes.map((w) => (
          <li key={w.id}>
            <span>
              {w.description || "A piece"}{w.item_id ? " (a piece in stock)" : ""}
              <small>{formatDay(w.created_at, zone)}{w.status && w.status !== "open" ? ` · ${w.status}` : ""}</small>
            </span>
            {writer && <button type="button" aria-label={`Remove wish ${w.description || w.id}`} onClick={() => remove(w)}>Remove</button>}
          </li>
        ))}
        {!wishes.length && <li class="empty">Nothing wished for yet.</li>}
      </ul>
      {writer && (
        <form class="wish-form" onSubmit={add}>
          <label>
            Wish
            <input name="wish" value={description} placeholder="e.g. emerald pendant, yellow gold" onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
          <FieldError messages={problems.about("description")} />
          <label>
            or a piece's tag
            <input name="wish_tag" value={tag} autocomplete="off" onInput={(e) => setTag(e.currentTarget.value)} />
          </label>
          <FieldError messages={problems.about("tag", "item_id")} />
          <FieldError messages={problems.rest(["description", "tag", "item_id"])} />
          <button type="submit" disabled={busy || (!tag.trim() && !description.trim())}>Add to the wish list</button>
        </form>
      )}
    </section>
  );
}
