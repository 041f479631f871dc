// Pickup: the jobs ready for their clients; scan the envelope's barcode (the
// job number, then Enter) or pick one, and the job opens at its pickup.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import type { ScreenProps } from "../screen";
import { formatDay, formatTime } from "../time";
import { byNumber, clientName, type Job, openJob } from "./flow";

export function Pickup({ store }: ScreenProps & { store: api.Store }) {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [number, setNumber] = useState("");
  const [error, setError] = useState<string[] | undefined>();
  const input = useRef<HTMLInputElement>(null);

  const ready = () => api.allPages<Job>("/work-orders", { store_id: store.id, stage: "ready_for_pickup" }, 1000);

  useLayoutEffect(() => {
    input.current?.focus();
    ready().then(setJobs).catch((e) => setError([String(e)]));
  }, [store.id]);

  async function find(event: Event) {
    event.preventDefault();
    if (!number.trim()) return;
    // scanned before the list came: the list is asked for again
    const job = byNumber(jobs ?? (await ready().catch(() => [])), number);
    if (job) openJob(job.id);
    else setError([`No job ${number.trim().toUpperCase()} is ready for pickup at ${store.code}`]);
  }

  return (
    <section class="panel pickup-list" aria-labelledby="pickup-list-title">
      <h1 id="pickup-list-title">Ready for pickup</h1>
      <form onSubmit={(e) => void find(e)}>
        <label>
          Job number
          <input ref={input} name="job-number" autocomplete="off" placeholder="scan the envelope or type the number, then Enter"
            value={number} onInput={(e) => setNumber(e.currentTarget.value)} />
        </label>
        <FieldError messages={error} />
      </form>
      <table class="cart">
        <thead>
          <tr><th>Job</th><th>Client</th><th>Piece</th><th>Promised</th><th>Ready since</th><th class="amount">Balance due</th></tr>
        </thead>
        <tbody>
          {(jobs ?? []).map((j) => (
            <tr>
              <td><a href={`#/bench/job/${j.id}`}>{j.number}</a></td>
              <td>{clientName(j)}</td>
              <td>{j.item_description}</td>
              <td>{formatDay(j.promised_date, store.timezone)}</td>
              <td>{formatTime(j.ready_at, store.timezone)}</td>
              <td class="amount">{format(j.balance_due.amount, j.balance_due.currency)}</td>
            </tr>
          ))}
          {jobs && !jobs.length && <tr><td colSpan={6} class="empty">No job is waiting for its client.</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
