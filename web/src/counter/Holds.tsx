// The counter's holds (placeholder until it is built).
import type { Store } from "../api";

export function Holds({ store }: { store: Store }) {
  return <p>Not built yet ({store.code}).</p>;
}
