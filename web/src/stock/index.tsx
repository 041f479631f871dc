// Stock: what a store does with its pieces besides selling them. Receive a
// batch and print its labels at once, send and receive transfers, count the
// stock by scanning, and keep memo goods on their clocks (#/stock/<tab>).
import { useEffect, useState } from "preact/hooks";
import { can, MANAGERS, SELLERS, type ScreenProps } from "../screen";
import { Count } from "./Count";
import { Memos } from "./Memos";
import { Receive } from "./Receive";
import { Transfers } from "./Transfers";
import "./stock.css";

const TABS = [
  { id: "receive", label: "Receive", managers: true },
  { id: "transfers", label: "Transfers", managers: false },
  { id: "count", label: "Stock count", managers: false },
  { id: "memos", label: "Memos", managers: false },
];

function hashTab(): string {
  return window.location.hash.replace(/^#\/?/, "").split("/")[1] || "";
}

export function StockScreen(props: ScreenProps) {
  const { me, store } = props;
  const manager = can(me, MANAGERS);
  const tabs = TABS.filter((t) => manager || !t.managers);
  const [tab, setTab] = useState(hashTab());
  useEffect(() => {
    const onHash = () => setTab(hashTab());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (!store) return <p>Pick a store to work on its stock.</p>;
  const current = tabs.find((t) => t.id === tab) ?? tabs[0]!;
  return (
    <>
      <h1 class="visually-hidden">Stock at {store.code}</h1>
      <nav class="tabs" aria-label="Stock">
        {tabs.map((t) => (
          <a href={`#/stock/${t.id}`} aria-current={t.id === current.id ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {current.id === "receive" && <Receive store={store} />}
      {current.id === "transfers" && <Transfers store={store} manager={manager} />}
      {current.id === "count" && <Count store={store} manager={manager} seller={can(me, SELLERS)} />}
      {current.id === "memos" && <Memos store={store} manager={manager} />}
    </>
  );
}
