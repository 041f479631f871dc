// The admin screen (placeholder until it is built).
import type { ScreenProps } from "../screen";

export function AdminScreen(_props: ScreenProps) {
  return <p>Not built yet.</p>;
}
