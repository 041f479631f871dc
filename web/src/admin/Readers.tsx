// Card readers (Stripe Terminal) of the store chosen in the frame: listed for
// everyone here, registered by its manager or HQ with the code the reader shows.
// The store's Terminal location is made with its first reader (its address then).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useIntent } from "../intent";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";
import { formatTime } from "../time";

type Reader = api.S["ReaderView"];

export function Readers({ me, store }: ScreenProps) {
  const manages = me.role === "hq_admin" || me.role === "store_manager";
  const [readers, setReaders] = useState<Reader[] | null>(null);
  const [code, setCode] = useState("");
  const [label, setLabel] = useState("");
  const [done, setDone] = useState("");
  const problems = useProblems();
  const listProblems = useProblems();
  const registering = useIntent();

  async function load() {
    if (!store) return;
    try {
      setReaders((await api.getJson<api.S["ReaderList"]>("/terminal/readers", { store_id: store.id })).items ?? []);
      listProblems.clear();
    } catch (e) {
      listProblems.set(e);
    }
  }
  useEffect(() => void load(), [store?.id]);

  async function register(event: Event) {
    event.preventDefault();
    if (!store) return;
    problems.clear();
    setDone("");
    try {
      const made = await api.sendJson<Reader>("POST", "/terminal/readers",
        { store_id: store.id, registration_code: code.trim(), label: label.trim() }, { idempotencyKey: registering.key() });
      registering.settle();
      setDone(`${made.label} is ready at ${store.code}.`);
      setCode("");
      setLabel("");
      await load();
    } catch (e) {
      registering.settle(e);
      problems.set(e);
    }
  }

  if (!store) return <p class="notice">Choose a store to see its card readers.</p>;
  return (
    <>
      <section class="panel" aria-labelledby="readers-heading">
        <h2 id="readers-heading">Card readers at {store.code}</h2>
        <FieldError messages={listProblems.rest([])} />
        {readers && readers.length === 0 && <p class="empty">No reader yet: cards are keyed in as a payment method.</p>}
        {readers && readers.length > 0 && (
          <table aria-label={`Card readers at ${store.code}`}>
            <thead>
              <tr><th scope="col">Label</th><th scope="col">Device</th><th scope="col">Serial number</th><th scope="col">Registered</th></tr>
            </thead>
            <tbody>
              {readers.map((r) => (
                <tr key={r.id}>
                  <td>{r.label}</td><td>{r.device_type ?? "—"}</td><td>{r.serial_number ?? "—"}</td>
                  <td>{formatTime(r.created_at, store.timezone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {manages && (
        <section class="panel" aria-labelledby="reader-new">
          <h2 id="reader-new">Register a reader</h2>
          <form class="grid-form" onSubmit={register}>
            <div>
              <label>
                Registration code (shown on the reader)
                <input name="registration_code" autocomplete="off" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
              </label>
              <FieldError messages={problems.about("registration_code")} />
            </div>
            <div>
              <label>
                Label (e.g. Front counter)
                <input name="label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
              </label>
              <FieldError messages={problems.about("label")} />
            </div>
            <div class="wide">
              <FieldError messages={problems.rest(["registration_code", "label"])} />
              <div class="actions"><button type="submit">Register reader</button></div>
              {done && <p class="ok" role="status">{done}</p>}
            </div>
          </form>
        </section>
      )}
    </>
  );
}
