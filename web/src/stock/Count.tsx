// A stock count by scanning: open one (or carry on with the open one), scan
// tags and Enter; after each scan the count as it stands comes back from the
// API (GET /stock-counts/{id}): the pieces on hand not scanned yet and the
// tags that are not this store's, then close it (optionally marking the
// missing pieces missing).
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";
import { useProblems } from "../problem";
import { formatTime } from "../time";

type Count = api.S["OpenStockCount"];

export function Count({ store, manager, seller }: { store: api.Store; manager: boolean; seller: boolean }) {
  const [count, setCount] = useState<Count | null>(null);
  const [closed, setClosed] = useState<api.S["StockCount"] | null>(null);
  const [loading, setLoading] = useState(true);
  const [tag, setTag] = useState("");
  const [markMissing, setMarkMissing] = useState(false);
  const [last, setLast] = useState("");
  const problems = useProblems();
  const scanProblems = useProblems();
  const input = useRef<HTMLInputElement>(null);
  const tz = store.timezone ?? undefined;

  async function show(id: string) {
    setCount(await api.getJson<Count>(`/stock-counts/${id}`));
  }

  useEffect(() => {
    (async () => {
      try {
        const open = await api.getJson<api.S["StockCountPage"]>("/stock-counts", { store_id: store.id, status: "open", limit: 1 });
        const first = open.items?.[0];
        if (first) await show(first.id);
      } catch (e) {
        problems.set(e);
      } finally {
        setLoading(false);
      }
    })();
  }, [store.id]);

  useEffect(() => input.current?.focus(), [count?.id]);

  async function start() {
    problems.clear();
    setClosed(null);
    try {
      const opened = await api.sendJson<api.S["StockCount"]>("POST", "/stock-counts", { store_id: store.id }, { idempotencyKey: crypto.randomUUID() });
      await show(opened.id);
    } catch (e) {
      problems.set(e);
    }
  }

  async function scan(event: Event) {
    event.preventDefault();
    const code = tag.trim().toUpperCase();
    if (!code || !count) return;
    scanProblems.clear();
    try {
      await api.sendJson("POST", `/stock-counts/${count.id}/scans`, { tags: [code] }, { idempotencyKey: crypto.randomUUID() });
      setTag("");
      setLast(code);
      await show(count.id);
    } catch (e) {
      scanProblems.set(e);
    }
  }

  async function close() {
    if (!count) return;
    problems.clear();
    try {
      const done = await api.sendJson<api.S["StockCount"]>("POST", `/stock-counts/${count.id}/close`, { mark_missing: markMissing });
      setClosed(done);
      setCount(null);
    } catch (e) {
      problems.set(e);
    }
  }

  if (loading) return <p>Loading the open count…</p>;
  const rest = problems.rest(["store_id", "mark_missing"]);
  const scanRest = scanProblems.rest(["tags"]);
  if (!count) {
    return (
      <div class="stock">
        <section>
          <h2>Stock count at {store.code}</h2>
          {closed ? <CountResult count={closed} tz={tz} /> : <p>No count is open at this store.</p>}
          {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
          {seller && <button type="submit" onClick={start}>Start a count</button>}
        </section>
      </div>
    );
  }
  const missing = count.missing_pieces ?? [];
  const unexpected = count.unexpected ?? [];
  return (
    <div class="stock wide-left">
      <section>
        <h2>Counting {store.code} · opened {formatTime(count.opened_at, tz)}</h2>
        {seller && (
          <form class="scan" onSubmit={scan}>
            <label>
              Scan a tag
              <input ref={input} value={tag} onInput={(e) => setTag(e.currentTarget.value)} autoComplete="off" placeholder="scan, or type and Enter" />
              <FieldError messages={scanProblems.about("tags")} />
            </label>
            {scanRest && <p class="error" role="alert">{scanRest.join(" ")}</p>}
          </form>
        )}
        <p class="visually-hidden" role="status">
          {last ? `${last} scanned: ${count.scanned ?? 0} scanned, ${missing.length} not scanned yet, ${unexpected.length} unexpected` : ""}
        </p>
        <div class="figures">
          <div><span>Scanned</span><strong data-figure="scanned">{count.scanned ?? 0}</strong></div>
          <div><span>Matched</span><strong data-figure="matched">{count.matched ?? 0}</strong></div>
          <div><span>Not scanned yet</span><strong data-figure="missing">{missing.length}</strong></div>
          <div><span>Unexpected</span><strong data-figure="unexpected">{unexpected.length}</strong></div>
        </div>
        <div class="lists">
          <div>
            <h3 id="missing-heading">Not scanned yet ({missing.length})</h3>
            {missing.length ? (
              <ul aria-labelledby="missing-heading">
                {missing.map((p) => <li class="tag" key={p.id}>{p.tag}<small>{p.description}</small></li>)}
              </ul>
            ) : <p class="ok">✓ Every piece on hand is scanned.</p>}
          </div>
          <div class="unexpected">
            <h3 id="unexpected-heading">Unexpected ({unexpected.length})</h3>
            {unexpected.length ? (
              <ul aria-labelledby="unexpected-heading">
                {unexpected.map((t) => <li class="tag" key={t}>⚠ {t}<small>not a piece on hand here</small></li>)}
              </ul>
            ) : <p class="empty">None so far.</p>}
          </div>
        </div>
      </section>
      <section>
        <h2>Close the count</h2>
        <p class="muted">Closing records what is matched, missing and unexpected now.</p>
        {manager ? (
          <>
            <label class="check">
              <input type="checkbox" checked={markMissing} onChange={(e) => setMarkMissing(e.currentTarget.checked)} />
              Mark the {missing.length} {missing.length === 1 ? "piece" : "pieces"} not scanned as missing
            </label>
            <FieldError messages={problems.about("mark_missing")} />
            {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
            <button type="submit" onClick={close}>Close the count</button>
          </>
        ) : <p>A store manager closes the count.</p>}
        <h3>Scanned so far</h3>
        <p class="tag">{(count.scanned_tags ?? []).join(", ") || "—"}</p>
      </section>
    </div>
  );
}

function CountResult({ count, tz }: { count: api.S["StockCount"]; tz?: string }) {
  return (
    <div role="status">
      <p><strong>Count closed {formatTime(count.closed_at, tz)}.</strong> {count.matched ?? 0} matched.</p>
      <p>Missing ({count.missing?.length ?? 0}): <span class="tag">{count.missing?.join(", ") || "none"}</span></p>
      <p>Unexpected ({count.unexpected?.length ?? 0}): <span class="tag">{count.unexpected?.join(", ") || "none"}</span></p>
      {count.shrinkage && <p>Shrinkage at cost: {format(count.shrinkage.amount, count.shrinkage.currency)}</p>}
    </div>
  );
}
