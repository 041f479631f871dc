// The counter: what a sales associate does all day. The sale first; returns,
// holds, layaways and the cash drawer one key away (#/counter/<tab>); the
// sales kept offline and their conflicts too, with a banner above while any wait.
import { useEffect, useState } from "preact/hooks";
import { OfflineBanner } from "../offline/Banner";
import { OfflineSales } from "../offline/OfflineSales";
import type { ScreenProps } from "../screen";
import { Counter, type Cart } from "./Counter";
import { Drawer } from "./Drawer";
import { Holds } from "./Holds";
import { Layaways } from "./Layaways";
import { Returns } from "./Returns";

export { emptyCart, type Cart } from "./Counter";

export interface CounterProps extends ScreenProps {
  /** Kept by the frame: a session that ends does not lose it. */
  cart: Cart;
  setCart: (cart: Cart) => void;
}

const TABS = [
  { id: "sale", label: "Sale" },
  { id: "returns", label: "Returns" },
  { id: "holds", label: "Holds" },
  { id: "layaways", label: "Layaways" },
  { id: "drawer", label: "Cash drawer" },
  { id: "offline", label: "Offline sales" },
];

function hashTab(): string {
  return window.location.hash.replace(/^#\/?/, "").split("/")[1] || "sale";
}

export function CounterScreen(props: CounterProps) {
  const { store, cart, setCart, me } = props;
  const [tab, setTab] = useState(hashTab());
  useEffect(() => {
    const onHash = () => setTab(hashTab());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  if (!store) return <p>Pick a store to sell from.</p>;
  return (
    <>
      <OfflineBanner />
      <nav class="tabs" aria-label="Counter">
        {TABS.map((t) => (
          <a href={`#/counter/${t.id}`} aria-current={t.id === tab ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === "sale" && <Counter store={store} cart={cart} setCart={setCart} />}
      {tab === "returns" && <Returns store={store} />}
      {tab === "holds" && <Holds store={store} />}
      {tab === "layaways" && <Layaways store={store} />}
      {tab === "drawer" && <Drawer store={store} />}
      {tab === "offline" && <OfflineSales store={store} me={me} />}
    </>
  );
}
