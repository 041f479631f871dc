// Vendors: the pieces' suppliers and memo partners. Managers change a vendor's
// name and contact (the contact's fields are replaced together).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import { can, MANAGERS, type ScreenProps } from "../screen";

type Vendor = api.S["Vendor"];
const CONTACT = [
  { id: "person", label: "Contact person" },
  { id: "email", label: "E-mail" },
  { id: "phone", label: "Phone" },
  { id: "address", label: "Address" },
];

const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));

export function Vendors({ me }: ScreenProps) {
  const writer = can(me, MANAGERS);
  const [vendors, setVendors] = useState<Vendor[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const problems = useProblems();

  useEffect(() => {
    api.allPages<Vendor>("/vendors").then(setVendors).catch(problems.set);
  }, []);

  return (
    <section class="panel" aria-labelledby="vendors-heading">
      <h2 id="vendors-heading">Vendors</h2>
      <FieldError messages={problems.rest([])} />
      <table class="list">
        <caption class="sr-only">Vendors</caption>
        <thead><tr><th>Name</th><th>Contact</th>{writer && <th><span class="sr-only">Actions</span></th>}</tr></thead>
        <tbody>
          {vendors.map((v) => editing === v.id ? (
            <tr key={v.id}>
              <td colSpan={3}>
                <VendorForm vendor={v} onDone={(changed) => {
                  setEditing(null);
                  if (changed) setVendors(vendors.map((x) => (x.id === changed.id ? changed : x)));
                }} />
              </td>
            </tr>
          ) : (
            <tr key={v.id}>
              <td>{v.name}</td>
              <td>{Object.entries(v.contact ?? {}).filter(([, x]) => text(x)).map(([k, x]) => `${k}: ${text(x)}`).join(" · ") || "—"}</td>
              {writer && <td><button type="button" onClick={() => setEditing(v.id)} aria-label={`Edit ${v.name}`}>Edit</button></td>}
            </tr>
          ))}
          {!vendors.length && <tr><td colSpan={3} class="empty">No vendor yet.</td></tr>}
        </tbody>
      </table>
    </section>
  );
}

function VendorForm({ vendor, onDone }: { vendor: Vendor; onDone: (v: Vendor | null) => void }) {
  const [name, setName] = useState(vendor.name);
  const [contact, setContact] = useState<Record<string, string>>(
    Object.fromEntries(Object.entries(vendor.contact ?? {}).map(([k, v]) => [k, text(v)])));
  const problems = useProblems();
  const fields = [...CONTACT, ...Object.keys(contact).filter((k) => !CONTACT.some((c) => c.id === k)).map((k) => ({ id: k, label: k }))];

  async function save(event: Event) {
    event.preventDefault();
    problems.clear();
    try {
      const kept = Object.fromEntries(Object.entries(contact).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
      onDone(await api.sendJson<Vendor>("PATCH", `/vendors/${vendor.id}`, { name: name.trim(), contact: kept }));
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <form class="grid-form inline" onSubmit={save} aria-label={`Edit ${vendor.name}`}>
      <div>
        <label>
          Vendor name
          <input name="vendor_name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <FieldError messages={problems.about("name")} />
      </div>
      {fields.map((f) => (
        <div key={f.id}>
          <label>
            {f.label}
            <input name={`contact_${f.id}`} value={contact[f.id] ?? ""} onInput={(e) => setContact({ ...contact, [f.id]: e.currentTarget.value })} />
          </label>
          <FieldError messages={problems.about(`contact.${f.id}`)} />
        </div>
      ))}
      <div class="wide">
        <FieldError messages={problems.rest(["name", "contact"])} />
        <div class="actions">
          <button type="submit">Save vendor</button>
          <button type="button" onClick={() => onDone(null)}>Cancel</button>
        </div>
      </div>
    </form>
  );
}
