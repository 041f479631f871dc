// The counter's returns (placeholder until it is built).
import type { Store } from "../api";

export function Returns({ store }: { store: Store }) {
  return <p>Not built yet ({store.code}).</p>;
}
