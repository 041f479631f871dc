// A new client, or a change to one: every answer of the API next to its field.
// Consent to texts and e-mails starts unticked: it is asked, never assumed.
import { useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";

type Client = api.S["ClientView"];

interface Props extends ScreenProps {
  client?: Client;
  onSaved: (client: Client) => void;
  onCancel?: () => void;
}

const FIELDS = ["first_name", "last_name", "phone", "email", "home_store_id", "language", "ring_size", "notes"] as const;
type Field = (typeof FIELDS)[number];

export function ClientForm({ client, store, stores, onSaved, onCancel }: Props) {
  const initial = Object.fromEntries(FIELDS.map((f) => [f, (client?.[f] as string | null | undefined) ?? ""])) as Record<Field, string>;
  if (!client) initial.home_store_id = store?.id ?? "";
  const [values, setValues] = useState(initial);
  const [consent, setConsent] = useState({ sms: false, email: false });
  const [busy, setBusy] = useState(false);
  const [key] = useState(() => crypto.randomUUID());
  const problems = useProblems();
  const set = (f: Field) => (e: Event) => setValues({ ...values, [f]: (e.currentTarget as HTMLInputElement).value });

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    problems.clear();
    try {
      let saved: Client;
      if (client) {
        const changed = Object.fromEntries(FIELDS.filter((f) => values[f] !== initial[f]).map((f) => [f, values[f] || null]));
        saved = Object.keys(changed).length ? await api.sendJson<Client>("PATCH", `/clients/${client.id}`, changed) : client;
      } else {
        const body = Object.fromEntries(FIELDS.filter((f) => values[f]).map((f) => [f, values[f]]));
        saved = await api.sendJson<Client>("POST", "/clients", { ...body, consent: { ...consent, source: "counter" } },
          { idempotencyKey: key });
      }
      onSaved(saved);
    } catch (e) {
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  const text = (f: Field, label: string, extra: Record<string, string> = {}) => (
    <div class={`field field-${f}`}>
      <label>
        {label}
        <input name={f} value={values[f]} onInput={set(f)} autocomplete="off" {...extra} />
      </label>
      <FieldError messages={problems.about(f)} />
    </div>
  );

  return (
    <section class="panel" aria-labelledby="client-form-heading">
      <h2 id="client-form-heading">{client ? `Edit ${client.first_name} ${client.last_name}` : "New client"}</h2>
      <form class="client-form" onSubmit={save}>
        {text("first_name", "First name", { required: "" })}
        {text("last_name", "Last name", { required: "" })}
        {text("phone", "Phone", { type: "tel", placeholder: "any format" })}
        {text("email", "E-mail", { type: "email" })}
        <div class="field">
          <label>
            Home store
            <select name="home_store_id" value={values.home_store_id} onChange={set("home_store_id")}>
              {stores.map((s) => <option value={s.id}>{s.code} · {s.name}</option>)}
            </select>
          </label>
          <FieldError messages={problems.about("home_store_id")} />
        </div>
        {text("language", "Language", { placeholder: "en, es, fr…" })}
        {text("ring_size", "Ring size")}
        <div class="field wide">
          <label>
            Notes
            <textarea name="notes" rows={3} value={values.notes} onInput={set("notes")} />
          </label>
          <FieldError messages={problems.about("notes")} />
        </div>
        {!client && (
          <fieldset class="consent wide">
            <legend>The client agrees to receive</legend>
            <label class="check">
              <input type="checkbox" name="sms" checked={consent.sms}
                onChange={(e) => setConsent({ ...consent, sms: e.currentTarget.checked })} />
              Text messages (SMS)
            </label>
            <label class="check">
              <input type="checkbox" name="email_consent" checked={consent.email}
                onChange={(e) => setConsent({ ...consent, email: e.currentTarget.checked })} />
              E-mails
            </label>
            <FieldError messages={problems.about("consent")} />
          </fieldset>
        )}
        <div class="wide">
          <FieldError messages={problems.rest([...FIELDS, "consent"])} />
          <div class="actions">
            <button type="submit" disabled={busy}>{client ? "Save changes" : "Add client"}</button>
            {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
          </div>
        </div>
      </form>
    </section>
  );
}
