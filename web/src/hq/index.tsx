// The hq screen (placeholder until it is built).
import type { ScreenProps } from "../screen";

export function HqScreen(_props: ScreenProps) {
  return <p>Not built yet.</p>;
}
