// The clients screen (placeholder until it is built).
import type { ScreenProps } from "../screen";

export function ClientsScreen(_props: ScreenProps) {
  return <p>Not built yet.</p>;
}
