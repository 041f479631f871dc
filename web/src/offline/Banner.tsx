// Above the counter: offline and how many sales wait to be sent, the ones
// being sent when the connection returns, and the conflicts to resolve. While
// it is shown the queue is sent again (the `online` event, every 15 s).
import { useOfflineSales, useReplay } from "./queue";
import "./offline.css";

const sales = (n: number) => `${n} ${n === 1 ? "sale" : "sales"}`;

export function OfflineBanner() {
  useReplay();
  const { sales: kept, offline } = useOfflineSales();
  const waiting = kept.filter((s) => s.state === "waiting").length;
  const conflicts = kept.filter((s) => s.state === "conflict").length;
  if (!offline && !waiting && !conflicts) return null;
  return (
    <div class="offline-banner" role="status">
      {offline ? (
        <strong>Offline: {sales(waiting)} waiting</strong>
      ) : (
        waiting > 0 && <strong>Sending {sales(waiting)} kept offline…</strong>
      )}
      {offline && <span>Cash only; the sales are sent when the connection returns.</span>}
      {conflicts > 0 && (
        <a href="#/counter/offline">
          {sales(conflicts)} kept offline could not be made on the server: a store manager resolves {conflicts === 1 ? "it" : "them"}
        </a>
      )}
    </div>
  );
}
