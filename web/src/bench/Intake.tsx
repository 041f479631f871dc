// Intake at the counter: the client (found by a forgiving search, or new),
// the piece and its condition, the tasks (from the chain's repair price list
// or free, priced or left to the estimate), photos from the tablet's camera,
// the promised day and rush; then the job's envelope to print.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format, parseMajor } from "../money";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";
import { today } from "../time";
import { Envelope } from "./Envelope";
import { addPhoto, type Job, KINDS } from "./flow";

type Client = api.S["ClientSummary"];
type Price = api.S["PriceView"];

interface TaskRow {
  code: string; // "" : a free task
  description: string;
  price: string; // major units as typed; "" : to be quoted
}

const emptyTask = (): TaskRow => ({ code: "", description: "", price: "" });

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function inDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function Intake({ store }: ScreenProps & { store: api.Store }) {
  const currency = store.currency;
  const [client, setClient] = useState<Client | null>(null);
  const [kind, setKind] = useState<api.S["WorkOrdersKind"]>("repair");
  const [piece, setPiece] = useState("");
  const [condition, setCondition] = useState("");
  const [tasks, setTasks] = useState<TaskRow[]>([emptyTask()]);
  const [prices, setPrices] = useState<Price[]>([]);
  const [files, setFiles] = useState<{ file: File; preview: string }[]>([]);
  const [promised, setPromised] = useState(inDays(today(store.timezone), 7));
  const [rush, setRush] = useState(false);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ job: Job; photoErrors: string[] } | null>(null);
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const problems = useProblems();
  const fileInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    api.getJson<api.S["PriceList"]>("/repair-prices", { currency }).then((l) => setPrices(l.items ?? [])).catch(() => setPrices([]));
  }, [currency]);

  function setTask(n: number, change: Partial<TaskRow>) {
    setTasks(tasks.map((t, i) => (i === n ? { ...t, ...change } : t)));
  }

  async function pickFiles(list: FileList | null) {
    const picked = Array.from(list ?? []);
    const read = await Promise.all(
      picked.map(
        (file) =>
          new Promise<{ file: File; preview: string }>((resolve) => {
            const reader = new FileReader();
            reader.onload = () => resolve({ file, preview: String(reader.result) });
            reader.onerror = () => resolve({ file, preview: "" });
            reader.readAsDataURL(file);
          }),
      ),
    );
    setFiles([...files, ...read]);
    if (fileInput.current) fileInput.current.value = "";
  }

  async function submit(event: Event) {
    event.preventDefault();
    const found: Record<string, string[]> = {};
    if (!client) found.client_id = ["Find the client or add a new one"];
    const sent = [];
    for (const [n, t] of tasks.entries()) {
      if (!t.code && !t.description.trim()) continue;
      if (t.code) {
        sent.push({ code: t.code });
        continue;
      }
      let price = null;
      if (t.price.trim()) {
        const minor = parseMajor(t.price, currency);
        if (minor === null) found[`tasks.${n}.price`] = [`An amount in ${currency}, like 45.00, or empty to quote it`];
        else price = { amount: minor, currency };
      }
      sent.push({ description: t.description.trim(), price });
    }
    setLocal(found);
    if (Object.keys(found).length) return;
    problems.clear();
    setBusy(true);
    try {
      const job = await api.sendJson<Job>(
        "POST",
        "/work-orders",
        {
          store_id: store.id,
          client_id: client!.id,
          kind,
          item_description: piece,
          intake: { condition_notes: condition, photos: [] },
          tasks: sent,
          promised_date: promised,
          rush,
        },
        { idempotencyKey: key },
      );
      // one photo a request: a tablet's photo alone nears the gateway's body limit
      const photoErrors: string[] = [];
      for (const { file } of files) {
        try {
          await addPhoto(job.id, file);
        } catch (e) {
          photoErrors.push(`${file.name}: ${e instanceof api.ApiError ? [...e.about("photo"), ...e.about("content_base64")].join(" ") || e.message : String(e)}`);
        }
      }
      setDone({ job, photoErrors });
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  function next() {
    setDone(null);
    setClient(null);
    setPiece("");
    setCondition("");
    setTasks([emptyTask()]);
    setFiles([]);
    setRush(false);
    setKey(crypto.randomUUID());
  }

  if (done) {
    return (
      <section class="panel intake-done" aria-labelledby="intake-done-title">
        <h1 id="intake-done-title">Job {done.job.number} taken in</h1>
        <p>
          For {client ? `${client.first_name} ${client.last_name}` : "the client"}: {done.job.item_description}.
          {files.length > 0 && ` ${plural(files.length - done.photoErrors.length, "photo")} added.`}
        </p>
        <FieldError messages={done.photoErrors.length ? done.photoErrors : undefined} />
        <Envelope job={done.job} autoFetch />
        <p class="actions">
          <a class="button" href={`#/bench/job/${done.job.id}`}>Open the job</a>
          <button type="button" onClick={next}>Next intake</button>
        </p>
      </section>
    );
  }

  const err = (field: string) => local[field] ?? problems.about(field);
  return (
    <form class="intake" onSubmit={submit} aria-labelledby="intake-title">
      <h1 id="intake-title">New job</h1>
      <div class="intake-grid">
        <section class="panel client" aria-labelledby="client-title">
          <h2 id="client-title">Client</h2>
          <ClientPicker store={store} client={client} onPick={setClient} />
          <FieldError messages={err("client_id")} />
        </section>
        <section class="panel piece" aria-labelledby="piece-title">
          <h2 id="piece-title">The piece</h2>
          <label>
            Kind of job
            <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as api.S["WorkOrdersKind"])}>
              {KINDS.map((k) => <option value={k.id}>{k.label}</option>)}
            </select>
          </label>
          <FieldError messages={err("kind")} />
          <label>
            Piece
            <textarea name="piece" rows={2} required value={piece} placeholder="e.g. 14k yellow gold solitaire ring, 0.5 ct"
              onInput={(e) => setPiece(e.currentTarget.value)} />
          </label>
          <FieldError messages={err("item_description")} />
          <label>
            Condition at intake
            <textarea name="condition" rows={2} value={condition} placeholder="e.g. worn prongs, chip on girdle"
              onInput={(e) => setCondition(e.currentTarget.value)} />
          </label>
          <FieldError messages={err("intake.condition_notes")} />
          <label>
            Photos
            <input ref={fileInput} type="file" name="photos" accept="image/*" capture="environment" multiple
              onChange={(e) => void pickFiles(e.currentTarget.files)} />
          </label>
          {files.length > 0 && (
            <ul class="photos small">
              {files.map((f, n) => (
                <li>
                  {f.preview ? <img src={f.preview} alt={`New photo ${n + 1}`} /> : <span>{f.file.name}</span>}
                  <button type="button" aria-label={`Remove photo ${n + 1}`} onClick={() => setFiles(files.filter((_, i) => i !== n))}>×</button>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel tasks-panel" aria-labelledby="tasks-title">
          <h2 id="tasks-title">Tasks</h2>
          {tasks.map((t, n) => (
            <fieldset class="task">
              <legend>Task {n + 1}</legend>
              <label>
                From the price list
                <select value={t.code} onChange={(e) => setTask(n, { code: e.currentTarget.value })}>
                  <option value="">— a free task —</option>
                  {prices.filter((p) => p.active).map((p) => (
                    <option value={p.code}>{p.name} · {format(p.price.amount, p.price.currency)}{p.unit !== "each" ? ` a ${p.unit}` : ""}</option>
                  ))}
                </select>
              </label>
              {!t.code && (
                <div class="task-free">
                  <label>
                    What to do
                    <input value={t.description} onInput={(e) => setTask(n, { description: e.currentTarget.value })} />
                  </label>
                  <label>
                    Price ({currency}, empty: to quote)
                    <input inputMode="decimal" autocomplete="off" value={t.price} onInput={(e) => setTask(n, { price: e.currentTarget.value })} />
                  </label>
                </div>
              )}
              <FieldError messages={err(`tasks.${n}`)} />
              {tasks.length > 1 && (
                <button type="button" onClick={() => setTasks(tasks.filter((_, i) => i !== n))}>Remove task {n + 1}</button>
              )}
            </fieldset>
          ))}
          <button type="button" onClick={() => setTasks([...tasks, emptyTask()])}>Add a task</button>
          <FieldError messages={err("tasks")} />
        </section>
        <section class="panel when" aria-labelledby="when-title">
          <h2 id="when-title">When</h2>
          <label>
            Promised for
            <input type="date" name="promised" required value={promised} min={today(store.timezone)}
              onInput={(e) => setPromised(e.currentTarget.value)} />
          </label>
          <FieldError messages={err("promised_date")} />
          <label class="inline">
            <input type="checkbox" name="rush" checked={rush} onChange={(e) => setRush(e.currentTarget.checked)} />
            Rush
          </label>
          <FieldError messages={problems.rest(["client_id", "kind", "item_description", "intake", "tasks", "promised_date"])} />
          <button type="submit" disabled={busy}>{busy ? "Taking it in…" : "Take the job in"}</button>
        </section>
      </div>
    </form>
  );
}

function ClientPicker({ store, client, onPick }: { store: api.Store; client: Client | null; onPick: (c: Client | null) => void }) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Client[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [first, setFirst] = useState("");
  const [last, setLast] = useState("");
  const [phone, setPhone] = useState("");
  const [key, setKey] = useState(() => crypto.randomUUID());
  const problems = useProblems();

  async function search(event?: Event) {
    event?.preventDefault();
    if (!q.trim()) return;
    problems.clear();
    try {
      const page = await api.getJson<api.S["ClientPage"]>("/clients", { q: q.trim(), limit: 8 });
      // the search forgives typos; what holds the words typed comes first
      const words = q.trim().toLowerCase().split(/\s+/);
      const holds = (c: Client) => {
        const text = `${c.first_name} ${c.last_name} ${c.phone ?? ""} ${c.email ?? ""}`.toLowerCase();
        return words.every((w) => text.includes(w)) ? 0 : 1;
      };
      setFound((page.items ?? []).slice().sort((a, b) => holds(a) - holds(b)));
    } catch (e) {
      problems.set(e);
    }
  }

  async function add() {
    problems.clear();
    try {
      const made = await api.sendJson<api.S["ClientView"]>(
        "POST",
        "/clients",
        { first_name: first, last_name: last, phone: phone || null, home_store_id: store.id },
        { idempotencyKey: key },
      );
      onPick(made as unknown as Client);
      setAdding(false);
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    }
  }

  if (client) {
    return (
      <p class="picked">
        <strong>{client.first_name} {client.last_name}</strong>
        {client.phone ? ` · ${client.phone}` : ""}{" "}
        <button type="button" onClick={() => onPick(null)}>Change client</button>
      </p>
    );
  }
  if (adding) {
    // a form inside the intake form is not allowed: Enter in these fields adds the client
    const enter = (e: KeyboardEvent) => {
      if (e.key === "Enter") {
        e.preventDefault();
        void add();
      }
    };
    return (
      <div class="new-client" onKeyDown={enter}>
        <label>First name<input name="first_name" value={first} onInput={(e) => setFirst(e.currentTarget.value)} /></label>
        <FieldError messages={problems.about("first_name")} />
        <label>Last name<input name="last_name" value={last} onInput={(e) => setLast(e.currentTarget.value)} /></label>
        <FieldError messages={problems.about("last_name")} />
        <label>Phone<input name="phone" type="tel" value={phone} onInput={(e) => setPhone(e.currentTarget.value)} /></label>
        <FieldError messages={problems.about("phone")} />
        <FieldError messages={problems.rest(["first_name", "last_name", "phone"])} />
        <p class="actions">
          <button type="button" onClick={() => void add()}>Add client</button>
          <button type="button" onClick={() => setAdding(false)}>Back to search</button>
        </p>
      </div>
    );
  }
  return (
    <div class="client-search">
      <label>
        Find client (name, phone or email)
        <input name="client-q" autocomplete="off" value={q} onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") void search(e);
          }} />
      </label>
      <p class="actions">
        <button type="button" onClick={() => void search()}>Search</button>
        <button type="button" onClick={() => { setAdding(true); setFirst(q.split(" ")[0] ?? ""); setLast(q.split(" ").slice(1).join(" ")); }}>New client</button>
      </p>
      <FieldError messages={problems.rest([])} />
      {found && (
        <ul class="found" aria-label="Clients found">
          {found.map((c) => (
            <li>
              <button type="button" onClick={() => onPick(c)}>
                {c.first_name} {c.last_name}{c.phone ? ` · ${c.phone}` : ""}
              </button>
            </li>
          ))}
          {!found.length && <li class="empty">No client found: add a new one.</li>}
        </ul>
      )}
    </div>
  );
}
