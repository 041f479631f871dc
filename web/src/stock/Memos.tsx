// Memo goods and their clocks: pieces lent out (``out``) and a vendor's goods
// held here (``in``), each with its due date as days left or days overdue
// (in words and with a mark, not by colour alone); an open memo is returned
// here, a new one made from scanned tags.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import { formatDay, today } from "../time";
import { clockOf } from "./clock";
import { PickPieces } from "./shared";

type Memo = api.S["Memo"];

export function Clock({ memo, now }: { memo: Memo; now: string }) {
  const clock = clockOf(memo.due_date, now, memo.status === "open", memo.overdue);
  return <span class={`clock ${clock.kind}`}>{clock.text}</span>;
}

export function Memos({ store, manager }: { store: api.Store; manager: boolean }) {
  const [memos, setMemos] = useState<Memo[]>([]);
  const [overdueOnly, setOverdueOnly] = useState(false);
  const [picked, setPicked] = useState<api.Item[]>([]);
  const [direction, setDirection] = useState<"out" | "in">("out");
  const [counterparty, setCounterparty] = useState("");
  const [due, setDue] = useState("");
  const [key, setKey] = useState(crypto.randomUUID());
  const [notice, setNotice] = useState("");
  const problems = useProblems();
  const listProblems = useProblems();
  const tz = store.timezone ?? undefined;
  const now = today(tz);

  async function load() {
    try {
      setMemos(await api.allPages<Memo>("/memos", { store_id: store.id, overdue: overdueOnly || undefined }, 400));
    } catch (e) {
      listProblems.set(e);
    }
  }
  useEffect(() => void load(), [store.id, overdueOnly]);

  async function create(event: Event) {
    event.preventDefault();
    problems.clear();
    setNotice("");
    try {
      const memo = await api.sendJson<Memo>("POST", "/memos", {
        store_id: store.id, direction, counterparty: counterparty.trim(), due_date: due,
        item_ids: picked.map((p) => p.id),
      }, { idempotencyKey: key });
      const n = memo.item_ids.length;
      setNotice(`Memo ${direction} with ${memo.counterparty}: ${n} ${n === 1 ? "piece" : "pieces"}, due ${formatDay(memo.due_date)}.`);
      setPicked([]);
      setCounterparty("");
      setKey(crypto.randomUUID());
      await load();
    } catch (e) {
      problems.set(e);
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    }
  }

  async function giveBack(memo: Memo) {
    listProblems.clear();
    try {
      await api.sendJson("POST", `/memos/${memo.id}/return`);
      setNotice(`The memo with ${memo.counterparty} is returned.`);
      await load();
    } catch (e) {
      listProblems.set(e);
    }
  }

  const open = memos.filter((m) => m.status === "open").sort((a, b) => a.due_date.localeCompare(b.due_date));
  const done = memos.filter((m) => m.status !== "open");
  const rest = problems.rest(["direction", "counterparty", "due_date", "item_ids", "store_id"]);
  const listRest = listProblems.rest([]);
  return (
    <div class="stock wide-left">
      <section>
        <h2>Memos at {store.code}</h2>
        {notice && <p class="notice" role="status">{notice}</p>}
        {listRest && <p class="error" role="alert">{listRest.join(" ")}</p>}
        <label class="check">
          <input type="checkbox" checked={overdueOnly} onChange={(e) => setOverdueOnly(e.currentTarget.checked)} />
          Overdue only
        </label>
        {open.length ? (
          <table aria-label="Open memos">
            <thead>
              <tr><th>Direction</th><th>With</th><th>Pieces</th><th>Due</th><th>Clock</th>{manager && <th><span class="visually-hidden">Action</span></th>}</tr>
            </thead>
            <tbody>
              {open.map((m) => (
                <tr key={m.id}>
                  <td>{m.direction === "out" ? "lent out" : "vendor's, in"}</td>
                  <td>{m.counterparty}</td>
                  <td>{m.item_ids.length}</td>
                  <td>{formatDay(m.due_date)}</td>
                  <td><Clock memo={m} now={now} /></td>
                  {manager && (
                    <td>
                      <button type="button" onClick={() => giveBack(m)}>
                        {m.direction === "out" ? "Back in" : "Return to vendor"}
                        <span class="visually-hidden"> ({m.counterparty})</span>
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        ) : <p class="empty">No open memo{overdueOnly ? " is overdue" : ""}.</p>}
        {done.length > 0 && <p class="muted">{done.length} returned memos not shown.</p>}
      </section>
      {manager && (
        <section>
          <h2>New memo</h2>
          <PickPieces store={store} picked={picked} setPicked={setPicked} />
          <FieldError messages={problems.about("item_ids")} />
          <form onSubmit={create}>
            <div class="row">
              <label>
                Direction
                <select value={direction} onChange={(e) => setDirection(e.currentTarget.value as "out" | "in")}>
                  <option value="out">out (lend ours)</option>
                  <option value="in">in (vendor's goods)</option>
                </select>
                <FieldError messages={problems.about("direction")} />
              </label>
              <label>
                Due date
                <input type="date" value={due} min={now} onInput={(e) => setDue(e.currentTarget.value)} required />
                <FieldError messages={problems.about("due_date")} />
              </label>
            </div>
            <label>
              With (who has or lent the goods)
              <input value={counterparty} onInput={(e) => setCounterparty(e.currentTarget.value)} required />
              <FieldError messages={problems.about("counterparty")} />
            </label>
            {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
            <button type="submit" disabled={!picked.length}>Make the memo</button>
          </form>
        </section>
      )}
    </div>
  );
}
