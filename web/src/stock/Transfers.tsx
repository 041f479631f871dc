// Transfers: send pieces to another store (they are in transit until it
// receives them) and receive what other stores sent here (GET /transfers).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import { formatTime } from "../time";
import { PickPieces, storeName, useStores } from "./shared";

type Transfer = api.S["Transfer"];

export function Transfers({ store, manager }: { store: api.Store; manager: boolean }) {
  const stores = useStores();
  const [incoming, setIncoming] = useState<Transfer[]>([]);
  const [outgoing, setOutgoing] = useState<Transfer[]>([]);
  const [picked, setPicked] = useState<api.Item[]>([]);
  const [to, setTo] = useState("");
  const [key, setKey] = useState(crypto.randomUUID());
  const [notice, setNotice] = useState("");
  const problems = useProblems();
  const listProblems = useProblems();
  const tz = store.timezone ?? undefined;

  async function load() {
    try {
      const [inn, out] = await Promise.all([
        api.getJson<api.S["TransferPage"]>("/transfers", { store_id: store.id, direction: "in", limit: 50 }),
        api.getJson<api.S["TransferPage"]>("/transfers", { store_id: store.id, direction: "out", limit: 50 }),
      ]);
      setIncoming(inn.items ?? []);
      setOutgoing(out.items ?? []);
    } catch (e) {
      listProblems.set(e);
    }
  }
  useEffect(() => void load(), [store.id]);

  async function send(event: Event) {
    event.preventDefault();
    problems.clear();
    setNotice("");
    try {
      const sent = await api.sendJson<Transfer>("POST", "/transfers", {
        from_store_id: store.id, to_store_id: to, item_ids: picked.map((p) => p.id),
      }, { idempotencyKey: key });
      setNotice(`${sent.item_ids.length} ${sent.item_ids.length === 1 ? "piece" : "pieces"} sent to ${storeName(stores, sent.to_store_id)}.`);
      setPicked([]);
      setKey(crypto.randomUUID());
      await load();
    } catch (e) {
      problems.set(e);
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    }
  }

  async function receive(transfer: Transfer) {
    listProblems.clear();
    try {
      // a transfer is received once: its own key, whoever presses again
      await api.sendJson("POST", `/transfers/${transfer.id}/receive`, undefined, { idempotencyKey: `receive:${transfer.id}` });
      setNotice(`${transfer.item_ids.length} pieces from ${storeName(stores, transfer.from_store_id)} are in stock here.`);
      await load();
    } catch (e) {
      listProblems.set(e);
    }
  }

  const others = [...stores.values()].filter((s) => s.id !== store.id);
  const rest = problems.rest(["to_store_id", "item_ids", "from_store_id"]);
  const listRest = listProblems.rest([]);
  return (
    <div class="stock">
      {manager && (
        <section>
          <h2>Send to another store</h2>
          <PickPieces store={store} picked={picked} setPicked={setPicked} />
          <FieldError messages={problems.about("item_ids")} />
          <form onSubmit={send}>
            <label>
              Send to
              <select value={to} onChange={(e) => setTo(e.currentTarget.value)} required>
                <option value="">choose a store</option>
                {others.map((s) => <option value={s.id}>{s.code} · {s.name}</option>)}
              </select>
              <FieldError messages={problems.about("to_store_id")} />
            </label>
            {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
            <button type="submit" disabled={!picked.length || !to}>
              Send {picked.length} {picked.length === 1 ? "piece" : "pieces"}
            </button>
          </form>
        </section>
      )}
      <section>
        {notice && <p class="notice" role="status">{notice}</p>}
        {listRest && <p class="error" role="alert">{listRest.join(" ")}</p>}
        <h2>Coming in</h2>
        <TransferTable rows={incoming} other={(t) => storeName(stores, t.from_store_id)} otherLabel="From" tz={tz}
          action={manager ? (t) => t.status === "shipped" && <button type="button" onClick={() => receive(t)}>Receive</button> : undefined} />
        <h2 style="margin-top:1rem">Going out</h2>
        <TransferTable rows={outgoing} other={(t) => storeName(stores, t.to_store_id)} otherLabel="To" tz={tz} />
      </section>
    </div>
  );
}

interface TableProps {
  rows: Transfer[];
  other: (t: Transfer) => string;
  otherLabel: string;
  tz?: string;
  action?: (t: Transfer) => unknown;
}

function TransferTable({ rows, other, otherLabel, tz, action }: TableProps) {
  if (!rows.length) return <p class="empty">None.</p>;
  return (
    <table aria-label={otherLabel === "From" ? "Transfers coming in" : "Transfers going out"}>
      <thead>
        <tr><th>{otherLabel}</th><th>Pieces</th><th>Shipped</th><th>Status</th>{action && <th><span class="visually-hidden">Action</span></th>}</tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.id}>
            <td>{other(t)}</td>
            <td>{t.item_ids.length}</td>
            <td>{formatTime(t.shipped_at, tz)}</td>
            <td>{t.status === "received" ? `received ${formatTime(t.received_at, tz)}` : "in transit"}</td>
            {action && <td>{action(t) as never}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
