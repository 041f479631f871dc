// Stores: everyone here sees them; the HQ admin opens and changes them.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";
import { isHqAdmin } from "./roles";

const FIELDS = [
  { id: "code", label: "Code", create: true },
  { id: "name", label: "Name" },
  { id: "currency", label: "Currency (ISO 4217)", create: true, fixed: true },
  { id: "timezone", label: "Time zone (e.g. America/New_York)" },
  { id: "tax_rate_bps", label: "Tax rate (basis points: 887 = 8.87%)" },
  { id: "country", label: "Country (ISO 3166)" },
  { id: "phone", label: "Phone" },
  { id: "address", label: "Address" },
  { id: "hours", label: "Opening hours (printed on receipts)" },
] as const;
type Field = (typeof FIELDS)[number]["id"];

export function Stores({ me }: ScreenProps) {
  const admin = isHqAdmin(me);
  const [stores, setStores] = useState<api.Store[]>([]);
  const [editing, setEditing] = useState<api.Store | "new" | null>(null);
  const problems = useProblems();

  async function load() {
    try {
      setStores(await api.allPages<api.Store>("/stores"));
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => void load(), []);

  return (
    <>
      {editing && <StoreForm store={editing === "new" ? null : editing} onDone={(changed) => { setEditing(null); if (changed) void load(); }} />}
      <section class="panel" aria-labelledby="stores-heading">
        <div class="title">
          <h2 id="stores-heading">Stores</h2>
          {admin && !editing && <button type="button" onClick={() => setEditing("new")}>Open a store</button>}
        </div>
        <FieldError messages={problems.rest([])} />
        <table class="list">
          <caption class="sr-only">Stores</caption>
          <thead>
            <tr><th>Code</th><th>Name</th><th>Currency</th><th>Time zone</th><th class="amount">Tax</th><th>Phone</th>{admin && <th><span class="sr-only">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {stores.map((s) => (
              <tr key={s.id}>
                <td>{s.code}</td>
                <td>{s.name}<small>{s.address}</small></td>
                <td>{s.currency}</td>
                <td>{s.timezone}</td>
                <td class="amount">{((s.tax_rate_bps ?? 0) / 100).toFixed(2)}%</td>
                <td>{s.phone || "—"}</td>
                {admin && <td><button type="button" onClick={() => setEditing(s)} aria-label={`Edit ${s.code}`}>Edit</button></td>}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function StoreForm({ store, onDone }: { store: api.Store | null; onDone: (changed: boolean) => void }) {
  const initial = Object.fromEntries(FIELDS.map((f) => [f.id, store ? String(store[f.id] ?? "") : ""])) as Record<Field, string>;
  const [values, setValues] = useState(initial);
  const [key] = useState(() => crypto.randomUUID());
  const problems = useProblems();
  const shown = FIELDS.filter((f) => !(store && "fixed" in f && f.fixed));

  async function save(event: Event) {
    event.preventDefault();
    problems.clear();
    const body: Record<string, string | number> = {};
    for (const f of shown) {
      if (store && values[f.id] === initial[f.id]) continue;
      if (!store && !values[f.id]) continue;
      body[f.id] = f.id === "tax_rate_bps" ? Number(values[f.id]) : f.id === "currency" ? values[f.id].toUpperCase() : values[f.id];
    }
    try {
      if (store) await api.sendJson("PATCH", `/stores/${store.id}`, body);
      else await api.sendJson("POST", "/stores", body, { idempotencyKey: key });
      onDone(true);
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <section class="panel" aria-labelledby="store-form-heading">
      <h2 id="store-form-heading">{store ? `Edit ${store.code} · ${store.name}` : "Open a store"}</h2>
      <form class="grid-form" onSubmit={save}>
        {shown.map((f) => (
          <div key={f.id}>
            <label>
              {f.label}
              <input name={f.id} value={values[f.id]} inputMode={f.id === "tax_rate_bps" ? "numeric" : undefined}
                onInput={(e) => setValues({ ...values, [f.id]: e.currentTarget.value })} />
            </label>
            <FieldError messages={problems.about(f.id)} />
          </div>
        ))}
        <div class="wide">
          <FieldError messages={problems.rest(shown.map((f) => f.id))} />
          <div class="actions">
            <button type="submit">{store ? "Save store" : "Open store"}</button>
            <button type="button" onClick={() => onDone(false)}>Cancel</button>
          </div>
        </div>
      </form>
    </section>
  );
}
