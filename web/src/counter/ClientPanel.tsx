// The sale's client: found by name (typos forgiven), phone or e-mail, or added
// on the spot (with their consent to e-mail and texts: the receipt goes to them
// only with it). Store credit and points need one; their balances show here.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { useProblems } from "../problem";

type Client = api.S["ClientSummary"];

interface Props {
  store: api.Store;
  client: Client | null;
  onAttach: (client: Client | null) => void;
  /** What the server said about the sale's client (Form 8300, say). */
  errors?: string[];
}

const fullName = (c: { first_name?: string; last_name?: string }) => `${c.first_name ?? ""} ${c.last_name ?? ""}`.trim();

export function ClientPanel({ store, client, onAttach, errors }: Props) {
  const [mode, setMode] = useState<"find" | "new">("find");
  if (client) return <Attached store={store} client={client} onDetach={() => onAttach(null)} errors={errors} />;
  return (
    <div class="client" role="group" aria-labelledby="client-heading">
      <h3 id="client-heading">Client</h3>
      {mode === "find" ? (
        <FindClient onAttach={onAttach} onNew={() => setMode("new")} />
      ) : (
        <NewClient store={store} onAttach={onAttach} onCancel={() => setMode("find")} />
      )}
      <FieldError messages={errors} />
    </div>
  );
}

function Attached({ store, client, onDetach, errors }: { store: api.Store; client: Client; onDetach: () => void; errors?: string[] }) {
  const [profile, setProfile] = useState<api.S["ClientView"] | null>(null);
  const [credit, setCredit] = useState<number | null>(null);
  const currency = store.currency ?? "USD";
  useEffect(() => {
    // another store's client shows only their name here (the API keeps the rest for their stores)
    api.getJson<api.S["ClientView"]>(`/clients/${client.id}`).then(setProfile).catch(() => setProfile(null));
    api.getJson<api.S["StoreCreditView"]>(`/clients/${client.id}/store-credit`)
      .then((v) => setCredit(v.balances?.find((b) => b.currency === currency)?.amount ?? 0))
      .catch(() => setCredit(null));
  }, [client.id]);
  return (
    <div class="client attached" role="group" aria-labelledby="client-heading">
      <h3 id="client-heading">Client</h3>
      <p class="who"><strong>{fullName(client)}</strong>{client.tier && <span class="badge">{client.tier}</span>}</p>
      <p class="balances">
        {profile?.loyalty_points !== undefined && <span>{profile.loyalty_points} points</span>}
        {credit !== null && <span>Store credit {format(credit, currency)}</span>}
        {profile && (
          <span>Receipt by {[profile.consent?.email && "e-mail", profile.consent?.sms && "text"].filter(Boolean).join(" and ") || "paper only (no consent)"}</span>
        )}
      </p>
      <button type="button" class="link" onClick={onDetach}>Change client</button>
      <FieldError messages={errors} />
    </div>
  );
}

function FindClient({ onAttach, onNew }: { onAttach: (c: Client) => void; onNew: () => void }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Client[] | null>(null);
  const [error, setError] = useState<string[] | undefined>();
  const list = useRef<HTMLUListElement>(null);

  async function find(event: Event) {
    event.preventDefault();
    setError(undefined);
    if (q.trim().length < 2) {
      setError(["Type at least two letters of a name, a phone or an e-mail"]);
      return;
    }
    try {
      const page = await api.getJson<api.S["ClientPage"]>("/clients", { q: q.trim(), limit: 6 });
      setFound(page.items ?? []);
      window.setTimeout(() => list.current?.querySelector("button")?.focus(), 0);
    } catch (e) {
      setError(e instanceof api.ApiError ? (e.about("q").length ? e.about("q") : [e.message]) : [String(e)]);
    }
  }

  return (
    <form onSubmit={find} role="search" aria-label="Clients">
      <div class="inline">
        <label>
          Find a client
          <input name="client" type="search" value={q} autocomplete="off" placeholder="name, phone"
            onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <button type="button" onClick={onNew}>New client</button>
      </div>
      <FieldError messages={error} />
      {found && (
        <ul class="found" ref={list} aria-label="Clients found">
          {found.map((c) => (
            <li key={c.id}>
              <button type="button" onClick={() => onAttach(c)}>
                <span class="what">{fullName(c)}</span>
                <span class="hint">{c.phone ?? c.email ?? ""}</span>
              </button>
            </li>
          ))}
          {!found.length && <li class="empty">No client matches “{q}”.</li>}
        </ul>
      )}
    </form>
  );
}

function NewClient({ store, onAttach, onCancel }: { store: api.Store; onAttach: (c: Client) => void; onCancel: () => void }) {
  const [form, setForm] = useState({ first_name: "", last_name: "", phone: "", email: "", mail: false, text: false });
  const [key] = useState(() => crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const set = (name: keyof typeof form) => (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    setForm({ ...form, [name]: input.type === "checkbox" ? input.checked : input.value });
  };

  async function create(event: Event) {
    event.preventDefault();
    setBusy(true);
    problems.clear();
    try {
      const body: api.S["ClientInput"] = {
        first_name: form.first_name.trim(),
        last_name: form.last_name.trim(),
        phone: form.phone.trim() || null,
        email: form.email.trim() || null,
        home_store_id: store.id,
        consent: { email: form.mail, sms: form.text, source: "counter" },
      };
      const created = await api.sendJson<api.S["ClientView"]>("POST", "/clients", body, { idempotencyKey: key });
      onAttach({ id: created.id!, first_name: created.first_name ?? "", last_name: created.last_name ?? "",
        phone: created.phone ?? null, email: created.email ?? null, tier: created.tier });
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  const fields = ["first_name", "last_name", "phone", "email", "consent"];
  return (
    <form onSubmit={create} class="new-client" aria-label="New client">
      <div class="pair">
        <label>First name<input ref={first} required value={form.first_name} autocomplete="off" onInput={set("first_name")} />
          <FieldError messages={problems.about("first_name")} /></label>
        <label>Last name<input required value={form.last_name} autocomplete="off" onInput={set("last_name")} />
          <FieldError messages={problems.about("last_name")} /></label>
      </div>
      <div class="pair">
        <label>Phone<input type="tel" value={form.phone} autocomplete="off" onInput={set("phone")} />
          <FieldError messages={problems.about("phone")} /></label>
        <label>E-mail<input type="email" value={form.email} autocomplete="off" onInput={set("email")} />
          <FieldError messages={problems.about("email")} /></label>
      </div>
      <div class="pair">
        <label class="check"><input type="checkbox" checked={form.mail} onChange={set("mail")} />May e-mail</label>
        <label class="check"><input type="checkbox" checked={form.text} onChange={set("text")} />May text</label>
      </div>
      <FieldError messages={problems.about("consent")} />
      <FieldError messages={problems.rest(fields)} />
      <div class="actions">
        <button type="submit" disabled={busy}>Add and attach</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
