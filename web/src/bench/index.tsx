// The bench screen (placeholder until it is built).
import type { ScreenProps } from "../screen";

export function BenchScreen(_props: ScreenProps) {
  return <p>Not built yet.</p>;
}
