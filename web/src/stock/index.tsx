// The stock screen (placeholder until it is built).
import type { ScreenProps } from "../screen";

export function StockScreen(_props: ScreenProps) {
  return <p>Not built yet.</p>;
}
