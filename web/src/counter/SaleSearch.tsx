// A piece found by words (description, tag, certificate) when its tag will
// not scan: the store's pieces in stock, each added with Enter on its button.
import { useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format } from "../money";

interface Props {
  store: api.Store;
  /** Add the piece to the cart; a message when it cannot be. */
  onAdd: (item: api.Item) => string | null;
}

export function SaleSearch({ store, onAdd }: Props) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<api.Item[] | null>(null);
  const [error, setError] = useState<string[] | undefined>();
  const list = useRef<HTMLUListElement>(null);

  async function search(event: Event) {
    event.preventDefault();
    const words = q.trim();
    setError(undefined);
    if (!words) {
      setFound(null);
      return;
    }
    try {
      const page = await api.getJson<api.S["ItemPage"]>("/items", { store_id: store.id, status: "in_stock", q: words, limit: 8 });
      setFound(page.items ?? []);
      // the first result's button: Enter adds it, Tab goes down the list
      window.setTimeout(() => list.current?.querySelector("button")?.focus(), 0);
    } catch (e) {
      setError([e instanceof Error ? e.message : String(e)]);
    }
  }

  function add(item: api.Item) {
    const why = onAdd(item);
    if (why) setError([why]);
    else {
      setFound(null);
      setQ("");
    }
  }

  return (
    <form class="search" onSubmit={search} role="search" aria-label="Pieces">
      <label>
        Find a piece by words
        <input type="search" value={q} autocomplete="off" placeholder="e.g. sapphire ring, then Enter"
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Escape" && setFound(null)} />
      </label>
      <FieldError messages={error} />
      {found && (
        <ul class="found" ref={list} aria-label="Pieces found">
          {found.map((item) => (
            <li key={item.id}>
              <button type="button" onClick={() => add(item)}>
                <span class="tag">{item.tag}</span>
                <span class="what">{item.description}</span>
                <span class="amount">{format(item.price?.amount ?? 0, item.price?.currency ?? store.currency ?? "USD")}</span>
              </button>
            </li>
          ))}
          {!found.length && <li class="empty">No piece in stock here matches “{q}”.</li>}
        </ul>
      )}
    </form>
  );
}
