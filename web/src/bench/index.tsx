// The bench: the board of open jobs (#/bench/board), intake at the counter
// (#/bench/intake), pickup (#/bench/pickup) and one job (#/bench/job/<id>).
import { useEffect, useState } from "preact/hooks";
import { can, SELLERS, type ScreenProps } from "../screen";
import "./bench.css";
import { BoardView } from "./Board";
import { Intake } from "./Intake";
import { JobView } from "./Job";
import { Pickup } from "./Pickup";

function hashParts(): string[] {
  return window.location.hash.replace(/^#\/?/, "").split("/").slice(1);
}

export function BenchScreen(props: ScreenProps) {
  const { me, store } = props;
  const [parts, setParts] = useState(hashParts());
  useEffect(() => {
    const onHash = () => setParts(hashParts());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (!store) return <p>Pick a store to see its bench.</p>;

  const tabs = [
    { id: "board", label: "Board" },
    ...(can(me, SELLERS) ? [{ id: "intake", label: "Intake" }, { id: "pickup", label: "Pickup" }] : []),
  ];
  const tab = parts[0] === "job" && parts[1] ? "job" : tabs.find((t) => t.id === parts[0])?.id ?? "board";
  return (
    <>
      <nav class="tabs" aria-label="Bench">
        {tabs.map((t) => (
          <a href={`#/bench/${t.id}`} aria-current={t.id === tab ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === "board" && <BoardView {...props} store={store} />}
      {tab === "intake" && <Intake {...props} store={store} />}
      {tab === "pickup" && <Pickup {...props} store={store} />}
      {tab === "job" && <JobView {...props} store={store} id={parts[1]!} key={parts[1]} />}
    </>
  );
}
