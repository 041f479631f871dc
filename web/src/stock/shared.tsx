// What the stock tabs share: a tag scanned (typed and Enter) into a list of
// pieces of this store, and the stores by id (for the names in lists).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";

export function useStores(): Map<string, api.Store> {
  const [stores, setStores] = useState<Map<string, api.Store>>(new Map());
  useEffect(() => {
    api.stores().then((all) => setStores(new Map(all.map((s) => [s.id, s])))).catch(() => {});
  }, []);
  return stores;
}

export const storeName = (stores: Map<string, api.Store>, id: string | null | undefined) => {
  const s = id ? stores.get(id) : undefined;
  return s ? `${s.code} · ${s.name}` : "another store";
};

interface PickProps {
  store: api.Store;
  picked: api.Item[];
  setPicked: (items: api.Item[]) => void;
  /** The statuses a piece may have to be picked (default: in stock). */
  statuses?: string[];
  label?: string;
}

/** Scan or type tags (Enter each) into a list of this store's pieces. */
export function PickPieces({ store, picked, setPicked, statuses = ["in_stock"], label = "Tag" }: PickProps) {
  const [tag, setTag] = useState("");
  const [error, setError] = useState<string[] | undefined>();

  async function add(event: Event) {
    event.preventDefault();
    const code = tag.trim().toUpperCase();
    if (!code) return;
    setError(undefined);
    try {
      const item = await api.itemByTag(code);
      if (item.store_id !== store.id) throw new Error(`${item.tag} is not at ${store.code}`);
      if (!statuses.includes(item.status)) throw new Error(`${item.tag} is ${item.status.replace(/_/g, " ")}`);
      if (picked.some((p) => p.id === item.id)) throw new Error(`${item.tag} is already on the list`);
      setPicked([...picked, item]);
      setTag("");
    } catch (e) {
      if (e instanceof api.ApiError && e.status === 404) setError([`No piece has the tag ${code}`]);
      else setError([e instanceof Error ? e.message : String(e)]);
    }
  }

  return (
    <>
      <form class="scan" onSubmit={add}>
        <label>
          {label}
          <input value={tag} onInput={(e) => setTag(e.currentTarget.value)} autoComplete="off" placeholder="scan or type, then Enter" />
          <FieldError messages={error} />
        </label>
      </form>
      {picked.length > 0 && (
        <table aria-label="Pieces picked">
          <thead><tr><th>Tag</th><th>Piece</th><th><span class="visually-hidden">Remove</span></th></tr></thead>
          <tbody>
            {picked.map((item) => (
              <tr key={item.id}>
                <td class="tag">{item.tag}</td>
                <td>{item.description}</td>
                <td>
                  <button type="button" aria-label={`Remove ${item.tag}`} onClick={() => setPicked(picked.filter((p) => p.id !== item.id))}>
                    ✕
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
