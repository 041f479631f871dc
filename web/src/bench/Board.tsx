// The bench board: a column per open stage (the API's, in workflow order),
// a card per job with its number, client, piece, promised day (the store's
// zone), rush and overdue said in words, the estimate and approval state, and
// the moves the job can make next (a button each: keyboard first).
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { can, SELLERS, type ScreenProps } from "../screen";
import { formatDay, formatTime } from "../time";
import { approve, byNumber, cardMoves, clientName, CUSTOM_ONLY, type Job, label, openJob, transition } from "./flow";

type Board = api.S["Board"];

export function BoardView({ me, store }: ScreenProps & { store: api.Store }) {
  const [board, setBoard] = useState<Board | null>(null);
  const [mine, setMine] = useState(false);
  const [error, setError] = useState<string[] | undefined>();
  const [number, setNumber] = useState("");
  const [notFound, setNotFound] = useState<string[] | undefined>();
  const dragged = useRef<Job | null>(null); // set at once: the first dragover comes before a render
  const [over, setOver] = useState<string | null>(null);
  const scan = useRef<HTMLInputElement>(null);
  useEffect(() => scan.current?.focus(), []);

  /** The envelope's barcode (the job number) scanned or typed, then Enter: the job opens. */
  async function find(event: Event) {
    event.preventDefault();
    if (!number.trim()) return;
    // a scanner can be quicker than the board's first answer: then the board is asked again
    const shown = byNumber(Object.values(board?.columns ?? {}).flat(), number);
    const job = shown ?? byNumber(Object.values((await load())?.columns ?? {}).flat(), number);
    if (job) openJob(job.id);
    else setNotFound([`No open job ${number.trim().toUpperCase()} on this board`]);
  }

  async function load(): Promise<Board | null> {
    try {
      const query = { store_id: store.id, assignee_id: mine ? me.id : undefined };
      const answer = await api.getJson<Board>("/work-orders/board", query);
      setBoard(answer);
      setError(undefined);
      return answer;
    } catch (e) {
      setError([e instanceof Error ? e.message : String(e)]);
      return null;
    }
  }

  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), 60_000);
    return () => window.clearInterval(timer);
  }, [mine]);

  /** Drag and drop (the mouse's way; the card's buttons are the keyboard's): the moves a card offers. */
  const canDrop = (stage: string) => dragged.current !== null && cardMoves(dragged.current).includes(stage);
  const setDragging = (job: Job | null) => {
    dragged.current = job;
  };
  async function drop(stage: string) {
    const job = dragged.current;
    dragged.current = null;
    setOver(null);
    if (!job || !cardMoves(job).includes(stage)) return;
    try {
      await transition(job.id, stage);
      await load();
    } catch (e) {
      setError([`${job.number}: ${e instanceof Error ? e.message : String(e)}`]);
    }
  }

  const columns = Object.entries(board?.columns ?? {}).filter(
    ([stage, jobs]) => !CUSTOM_ONLY.includes(stage) || jobs.length > 0,
  );
  const names = new Map<string, string>();
  for (const [, jobs] of columns) for (const j of jobs) if (j.assignee_id) names.set(j.assignee_id, j.assignee_name ?? "");
  const open = columns.reduce((n, [, jobs]) => n + jobs.length, 0);

  return (
    <section class="bench-board" aria-labelledby="board-title">
      <div class="board-head">
        <h1 id="board-title">Bench board</h1>
        <p class="board-summary">
          {open} open {open === 1 ? "job" : "jobs"}
          {board && board.overdue > 0 && <strong class="badge overdue"> · ⚠ {board.overdue} overdue</strong>}
        </p>
        {board && Object.keys(board.by_assignee).length > 0 && (
          <ul class="load" aria-label="Jobs per jeweler">
            {Object.entries(board.by_assignee).map(([id, n]) => (
              <li>{id ? names.get(id) || "a jeweler" : "Unassigned"}: {n}</li>
            ))}
          </ul>
        )}
        <form class="find-job" onSubmit={(e) => void find(e)}>
          <label class="inline">
            Job number
            <input ref={scan} name="job-number" size={11} autocomplete="off" placeholder="scan or type"
              value={number} onInput={(e) => { setNumber(e.currentTarget.value); setNotFound(undefined); }} />
          </label>
          <FieldError messages={notFound} />
        </form>
        <label class="inline">
          <input type="checkbox" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} />
          Only my jobs
        </label>
        <button type="button" onClick={() => void load()}>Refresh</button>
      </div>
      <FieldError messages={error} />
      {!board && !error && <p>Loading the board…</p>}
      <div class="columns">
        {columns.map(([stage, jobs]) => (
          <section class={`column${over === stage && canDrop(stage) ? " drop-here" : ""}`} aria-labelledby={`col-${stage}`}
            data-stage={stage}
            onDragOver={(e) => {
              if (!canDrop(stage)) return;
              e.preventDefault();
              setOver(stage);
            }}
            onDragLeave={() => setOver((o) => (o === stage ? null : o))}
            onDrop={(e) => {
              e.preventDefault();
              void drop(stage);
            }}>
            <h2 id={`col-${stage}`}>
              {label(stage)} <span class="count">{jobs.length}</span>
            </h2>
            {jobs.map((job) => (
              <Card me={me} job={job} onChanged={load} onDrag={setDragging} />
            ))}
            {!jobs.length && <p class="empty">No job</p>}
          </section>
        ))}
      </div>
    </section>
  );
}

export function Badges({ job }: { job: Job }) {
  return (
    <>
      {job.rush && <span class="badge rush">⚡ Rush</span>}
      {job.overdue && <span class="badge overdue">⚠ Overdue</span>}
    </>
  );
}

/** "Estimate $120.00 · awaiting approval", "Needs an estimate", "Approved at the counter". */
export function EstimateState({ job }: { job: Job }) {
  const e = job.estimate;
  if (e) {
    const state = e.status === "approved" ? "approved" : e.status === "declined" ? "declined" : "awaiting approval";
    return (
      <p class={`estimate ${e.status}`}>
        Estimate {format(e.amount.amount, e.amount.currency)} · {state}
        {e.status === "approved" && job.approved_via === "tracking_page" && " (by the client online)"}
      </p>
    );
  }
  if (job.estimate_required && !job.approved_at) return <p class="estimate missing">Needs an estimate</p>;
  if (job.approved_at) return <p class="estimate approved">Approved, no estimate</p>;
  return null;
}

interface CardProps {
  me: api.Me;
  job: Job;
  onChanged: () => Promise<unknown>;
  onDrag: (job: Job | null) => void;
}

function Card({ me, job, onChanged, onDrag }: CardProps) {
  const moves = cardMoves(job);
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);
  const zone = (job.store as { timezone?: string })?.timezone;

  async function act(what: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      await onChanged();
    } catch (e) {
      const named = e instanceof api.ApiError ? e.about("stage", "note") : [];
      setError(named.length ? named : [e instanceof Error ? e.message : String(e)]);
    } finally {
      setBusy(false);
    }
  }

  const needsQuote = job.stage === "received" && job.estimate_required && !job.estimate;
  const canApprove =
    can(me, SELLERS) &&
    ((job.stage === "received" && !job.estimate_required) || job.stage === "awaiting_approval");

  return (
    <article class={`card${job.overdue ? " is-overdue" : ""}${job.rush ? " is-rush" : ""}`} aria-labelledby={`job-${job.id}`}
      draggable={moves.length > 0}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", job.number);
        onDrag(job);
      }}
      onDragEnd={() => onDrag(null)}>
      <h3 id={`job-${job.id}`}>
        <a href={`#/bench/job/${job.id}`}>{job.number}</a> <Badges job={job} />
      </h3>
      <p class="who">{clientName(job)}</p>
      <p class="piece">{job.item_description}</p>
      <p class="due">
        Promised <time dateTime={job.promised_date}>{formatDay(job.promised_date, zone)}</time>
      </p>
      <p class="assignee">{job.assignee_name ? `Jeweler: ${job.assignee_name}` : "Unassigned"}</p>
      <EstimateState job={job} />
      <div class="card-actions">
        {needsQuote && (
          <button type="button" onClick={() => openJob(job.id)}>Quote estimate</button>
        )}
        {canApprove && (
          <button type="button" disabled={busy} onClick={() => act(() => approve(job.id))}>
            Record approval
          </button>
        )}
        {moves.map((stage, n) => (
          // the first move goes forward; a second one goes back (a failed quality check)
          <button type="button" class={n === 0 ? "forward" : "back"} disabled={busy}
            aria-label={`Move ${job.number} to ${label(stage)}`} onClick={() => act(() => transition(job.id, stage))}>
            {n === 0 ? `${label(stage)} →` : `← ${label(stage)}`}
          </button>
        ))}
        {job.stage === "ready_for_pickup" && (
          <a class="button" href={`#/bench/job/${job.id}`}>Pickup</a>
        )}
      </div>
      <FieldError messages={error} />
      <p class="since">In this stage since {formatTime(job.stage_changed_at, zone)}</p>
    </article>
  );
}
