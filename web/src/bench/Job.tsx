// One job: what was taken in (piece, condition, photos), its tasks and
// money, the estimate and the client's approval, the jeweler, the next
// stages the API allows, the envelope, the history and, when the piece is
// ready, the pickup with the balance paid (a sale line {work_order_id}).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { useIntent } from "../intent";
import { FieldError } from "../FieldError";
import { bpsOf, format, parseMajor } from "../money";
import { useProblems } from "../problem";
import { BENCH_LEADS, can, MANAGERS, SELLERS, STAFF, type ScreenProps } from "../screen";
import { formatDay, formatTime } from "../time";
import { Badges, EstimateState } from "./Board";
import { Envelope } from "./Envelope";
import { addPhoto, approve, BY_COMMAND, clientName, dataUrlOf, getJob, type Job, KINDS, label, transition } from "./flow";

interface Photo {
  id: string;
  caption?: string;
  url: string;
}

export function JobView(props: ScreenProps & { store: api.Store; id: string }) {
  const { me, store, id } = props;
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string[] | undefined>();

  async function load() {
    try {
      setJob(await getJob(id));
    } catch (e) {
      setError([e instanceof api.ApiError && e.status === 404 ? "No such job at your stores." : String(e)]);
    }
  }
  useEffect(() => void load(), [id]);

  if (!job) return <section aria-label="Job">{error ? <FieldError messages={error} /> : <p>Loading the job…</p>}</section>;
  const zone = store.timezone;
  const currency = job.total.currency;
  const money = (m: { amount: number } | null | undefined) => (m ? format(m.amount, currency) : "to be quoted");
  const client = job.client as { phone?: string | null } | null;
  const tasks = job.tasks ?? [];
  const intake = (job.intake ?? {}) as { condition_notes?: string; photos?: Photo[] };
  const closed = job.stage === "picked_up" || job.stage === "cancelled";

  return (
    <article class="job" aria-labelledby="job-title">
      <p><a href="#/bench/board">← Bench board</a></p>
      <header class="job-head">
        <h1 id="job-title">Job {job.number}</h1>
        <Badges job={job} />
        <span class={`stage stage-${job.stage}`}>{label(job.stage)}</span>
      </header>
      <div class="job-grid">
        <section class="panel" aria-labelledby="facts-title">
          <h2 id="facts-title">The piece</h2>
          <dl class="facts">
            <dt>Client</dt><dd>{clientName(job)}{client?.phone ? ` · ${client.phone}` : ""}</dd>
            <dt>Kind</dt><dd>{KINDS.find((k) => k.id === job.kind)?.label ?? job.kind}</dd>
            <dt>Piece</dt><dd>{job.item_description}</dd>
            <dt>Condition</dt><dd>{intake.condition_notes || "—"}</dd>
            <dt>Promised</dt><dd>{formatDay(job.promised_date, zone)}{job.rush ? " (rush)" : ""}</dd>
            <dt>Taken in</dt><dd>{formatTime(job.created_at, zone)}</dd>
            <dt>Jeweler</dt><dd>{job.assignee_name ?? "Unassigned"}</dd>
          </dl>
          <table class="tasks">
            <caption>Tasks</caption>
            <thead><tr><th>Task</th><th class="amount">Price</th></tr></thead>
            <tbody>
              {tasks.map((t) => (
                <tr><td>{t.description}{t.quantity && t.quantity > 1 ? ` × ${t.quantity}` : ""}{t.text ? ` “${t.text}”` : ""}</td><td class="amount">{money(t.price)}</td></tr>
              ))}
              {!tasks.length && <tr><td colSpan={2} class="empty">No task listed</td></tr>}
            </tbody>
          </table>
          <Envelope job={job} />
        </section>
        <section class="panel" aria-labelledby="photos-title">
          <h2 id="photos-title">Photos</h2>
          <Photos job={job} photos={intake.photos ?? []} canAdd={can(me, STAFF) && !closed} onAdded={load} />
        </section>
        <section class="panel" aria-labelledby="money-title">
          <h2 id="money-title">Estimate and payment</h2>
          <EstimateState job={job} />
          <dl class="facts money">
            <dt>Total</dt><dd>{money(job.total)}</dd>
            <dt>Deposits</dt><dd>{money(job.deposits)}</dd>
            <dt>Paid</dt><dd>{money(job.paid)}</dd>
            <dt class="total">Balance due</dt><dd class="total">{money(job.balance_due)}</dd>
          </dl>
          {can(me, STAFF) && ["received", "awaiting_approval"].includes(job.stage) && !job.approved_at && (
            <Quote job={job} onDone={setJob} />
          )}
          {can(me, SELLERS) && (job.stage === "awaiting_approval" || (job.stage === "received" && !job.estimate_required)) && (
            <Approve job={job} onDone={setJob} />
          )}
        </section>
        <section class="panel" aria-labelledby="work-title">
          <h2 id="work-title">Bench</h2>
          {can(me, BENCH_LEADS) && !closed && <Assign me={me} job={job} onDone={setJob} />}
          {can(me, STAFF) && <Move job={job} onDone={setJob} />}
          {job.stage === "ready_for_pickup" && <Pickup me={me} store={store} job={job} onDone={load} />}
          {job.stage === "picked_up" && <p class="done-note" role="status">Picked up{job.paid_sale_id ? " · balance paid at the counter" : ""}.</p>}
        </section>
      </div>
      <History job={job} zone={zone} />
    </article>
  );
}

function Photos({ job, photos, canAdd, onAdded }: { job: Job; photos: Photo[]; canAdd: boolean; onAdded: () => Promise<void> }) {
  const [shown, setShown] = useState<Record<string, string>>({});
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    for (const p of photos) {
      if (shown[p.id]) continue;
      // fetched with the session (an <img src> sends no token), shown as a data: URL
      api.getBlob(p.url, undefined, "image/*").then(dataUrlOf).then((url) => {
        if (live) setShown((s) => ({ ...s, [p.id]: url }));
      }).catch(() => {});
    }
    return () => {
      live = false;
    };
  }, [photos.map((p) => p.id).join()]);

  async function add(files: FileList | null) {
    if (!files?.length) return;
    setBusy(true);
    setError(undefined);
    try {
      for (const file of Array.from(files)) await addPhoto(job.id, file);
      await onAdded();
    } catch (e) {
      const named = e instanceof api.ApiError ? [...e.about("photo"), ...e.about("content_base64")] : [];
      setError(named.length ? named : [e instanceof Error ? e.message : String(e)]);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <ul class="photos">
        {photos.map((p, n) => (
          <li>
            {shown[p.id] ? <img src={shown[p.id]} alt={p.caption || `Photo ${n + 1} of ${job.number}`} /> : <span class="placeholder">Loading…</span>}
          </li>
        ))}
      </ul>
      {!photos.length && <p class="empty">No photo yet.</p>}
      {canAdd && (
        <label>
          Add a photo
          <input type="file" accept="image/*" capture="environment" multiple disabled={busy}
            onChange={(e) => void add(e.currentTarget.files).then(() => { (e.target as HTMLInputElement).value = ""; })} />
        </label>
      )}
      <FieldError messages={error} />
    </>
  );
}

function Quote({ job, onDone }: { job: Job; onDone: (j: Job) => void }) {
  const currency = job.total.currency;
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");
  const problems = useProblems();
  const estimating = useIntent();
  const [local, setLocal] = useState<string[] | undefined>();

  async function submit(event: Event) {
    event.preventDefault();
    const minor = parseMajor(amount, currency);
    if (minor === null) {
      setLocal([`Enter an amount in ${currency}, like 120.00`]);
      return;
    }
    setLocal(undefined);
    problems.clear();
    try {
      onDone(await api.sendJson<Job>("POST", `/work-orders/${job.id}/estimate`, { amount: { amount: minor, currency }, note },
        { idempotencyKey: estimating.key() }));
      estimating.settle();
      setAmount("");
      setNote("");
    } catch (e) {
      estimating.settle(e);
      problems.set(e);
    }
  }

  return (
    <form class="quote" onSubmit={submit}>
      <h3>{job.estimate ? "Quote again" : "Quote an estimate"}</h3>
      <label>
        Estimate ({currency})
        <input name="estimate" inputMode="decimal" autocomplete="off" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
      </label>
      <FieldError messages={local ?? problems.about("amount")} />
      <label>
        Note for the client
        <input name="estimate-note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <FieldError messages={problems.about("note")} />
      <FieldError messages={problems.rest(["amount", "note"])} />
      <button type="submit">Send estimate</button>
    </form>
  );
}

function Approve({ job, onDone }: { job: Job; onDone: (j: Job) => void }) {
  const problems = useProblems();
  async function go() {
    problems.clear();
    try {
      onDone(await approve(job.id));
    } catch (e) {
      problems.set(e);
    }
  }
  return (
    <div class="approve">
      <button type="button" onClick={go}>Record the client's approval</button>
      <FieldError messages={problems.rest([])} />
    </div>
  );
}

function Assign({ me, job, onDone }: { me: api.Me; job: Job; onDone: (j: Job) => void }) {
  const [jewelers, setJewelers] = useState<api.S["UserView"][]>([]);
  const [chosen, setChosen] = useState(job.assignee_id ?? "");
  const problems = useProblems();
  const lead = can(me, MANAGERS);

  useEffect(() => {
    if (!lead) return;
    api.allPages<api.S["UserView"]>("/users", { role: "bench_jeweler", store_id: job.store_id, active: true })
      .then(setJewelers)
      .catch(problems.set);
  }, [job.store_id]);

  async function give(userId: string | null) {
    problems.clear();
    try {
      onDone(await api.sendJson<Job>("POST", `/work-orders/${job.id}/assign`, { user_id: userId }));
    } catch (e) {
      problems.set(e);
    }
  }

  if (!lead) {
    // a bench jeweler takes a job for themselves
    return (
      <div class="assign">
        {job.assignee_id !== me.id && <button type="button" onClick={() => give(me.id)}>Take this job</button>}
        <FieldError messages={problems.rest([])} />
      </div>
    );
  }
  return (
    <form class="assign" onSubmit={(e) => { e.preventDefault(); void give(chosen || null); }}>
      <label>
        Jeweler
        <select name="jeweler" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
          <option value="">Unassigned</option>
          {jewelers.map((u) => <option value={u.id}>{u.username}</option>)}
          {job.assignee_id && !jewelers.some((u) => u.id === job.assignee_id) && (
            <option value={job.assignee_id}>{job.assignee_name ?? job.assignee_id}</option>
          )}
        </select>
      </label>
      <FieldError messages={problems.about("user_id")} />
      <FieldError messages={problems.rest(["user_id"])} />
      <button type="submit">Assign</button>
    </form>
  );
}

function Move({ job, onDone }: { job: Job; onDone: (j: Job) => void }) {
  // approval and estimate have their own buttons; the pickup its own section (with the balance)
  const next = (job.allowed_stages ?? []).filter((s) => !BY_COMMAND.includes(s) && s !== "picked_up");
  const [to, setTo] = useState(next[0] ?? "");
  const [note, setNote] = useState("");
  const problems = useProblems();
  useEffect(() => setTo(next[0] ?? ""), [job.stage]);
  if (!next.length) return null;

  async function submit(event: Event) {
    event.preventDefault();
    problems.clear();
    try {
      onDone(await transition(job.id, to, note));
      setNote("");
    } catch (e) {
      problems.set(e);
    }
  }
  return (
    <form class="move-detail" onSubmit={submit}>
      <label>
        Move to
        <select name="stage" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
          {next.map((s) => <option value={s}>{label(s)}</option>)}
        </select>
      </label>
      <FieldError messages={problems.about("stage")} />
      <label>
        Note{to === "cancelled" ? " (why it is cancelled)" : ""}
        <input name="note" value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <FieldError messages={problems.about("note")} />
      <FieldError messages={problems.rest(["stage", "note"])} />
      <button type="submit">Move</button>
    </form>
  );
}

function Pickup({ me, store, job, onDone }: { me: api.Me; store: api.Store; job: Job; onDone: () => Promise<void> }) {
  const currency = job.balance_due.currency;
  const balance = job.balance_due.amount;
  const tax = bpsOf(balance, store.tax_rate_bps ?? 0);
  const total = balance + tax;
  const [received, setReceived] = useState("");
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const [local, setLocal] = useState<string[] | undefined>();
  const given = parseMajor(received, currency);

  async function handOver() {
    problems.clear();
    try {
      await transition(job.id, "picked_up", "handed over, nothing due");
      await onDone();
    } catch (e) {
      problems.set(e);
    }
  }

  async function pay(event: Event) {
    event.preventDefault();
    if (given === null || given < total) {
      setLocal([`Enter the cash received, at least ${format(total, currency)}`]);
      return;
    }
    setLocal(undefined);
    problems.clear();
    setBusy(true);
    try {
      const sale = await api.sell(
        {
          store_id: job.store_id,
          client_id: job.client_id,
          lines: [{ work_order_id: job.id }],
          tenders: [{ method: "cash", amount: { amount: total, currency }, received: { amount: given, currency } }],
        },
        key,
      );
      if (sale.status !== "completed") {
        setKey(crypto.randomUUID());
        throw new Error(sale.failure_reason ?? "the payment did not complete");
      }
      await onDone();
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      problems.set(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="pickup" aria-labelledby="pickup-title">
      <h3 id="pickup-title">Pickup</h3>
      {balance <= 0 ? (
        <>
          <p>Nothing is due.</p>
          <button type="button" onClick={handOver}>Hand over the piece</button>
        </>
      ) : can(me, SELLERS) ? (
        <form onSubmit={pay}>
          <dl class="facts money">
            <dt>Balance</dt><dd>{format(balance, currency)}</dd>
            <dt>Tax {(store.tax_rate_bps ?? 0) / 100}%</dt><dd>{format(tax, currency)}</dd>
            <dt class="total">To pay</dt><dd class="total">{format(total, currency)}</dd>
          </dl>
          <label>
            Cash received
            <input name="pickup-cash" inputMode="decimal" autocomplete="off" value={received}
              onInput={(e) => setReceived(e.currentTarget.value)} />
          </label>
          <p class="change">Change due <output>{given !== null && given >= total ? format(given - total, currency) : "—"}</output></p>
          <FieldError messages={local ?? problems.about("tenders")} />
          <FieldError messages={problems.rest(["tenders"])} />
          <button type="submit" disabled={busy}>Take cash and hand over</button>
          <p class="hint">A card or another tender: sell the job's balance at the <a href="#/counter/sale">counter</a>.</p>
        </form>
      ) : (
        <p>{format(balance, currency)} is due: the counter collects it before the piece goes.</p>
      )}
      <FieldError messages={balance <= 0 ? problems.rest([]) : undefined} />
    </section>
  );
}

function History({ job, zone }: { job: Job; zone: string }) {
  const [items, setItems] = useState<api.S["HistoryEntry"][]>([]);
  useEffect(() => {
    api.allPages<api.S["HistoryEntry"]>(`/work-orders/${job.id}/history`, {}, 400).then(setItems).catch(() => setItems([]));
  }, [job.id, job.stage, job.assignee_id, job.estimate?.estimated_at, job.approved_at]);
  return (
    <section class="panel history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ol>
        {items.map((h) => (
          <li>
            <time dateTime={h.at}>{formatTime(h.at, zone)}</time> · {h.change.replace(/_/g, " ")}
            {h.to_stage && h.from_stage !== h.to_stage ? ` → ${label(h.to_stage)}` : ""}
            {h.actor_name ? ` · ${h.actor_name}` : ""}{h.note ? ` · ${h.note}` : ""}
          </li>
        ))}
      </ol>
    </section>
  );
}
