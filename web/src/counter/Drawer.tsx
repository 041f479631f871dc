// The counter's drawer (placeholder until it is built).
import type { Store } from "../api";

export function Drawer({ store }: { store: Store }) {
  return <p>Not built yet ({store.code}).</p>;
}
