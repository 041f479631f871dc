// The counter's layaways (placeholder until it is built).
import type { Store } from "../api";

export function Layaways({ store }: { store: Store }) {
  return <p>Not built yet ({store.code}).</p>;
}
