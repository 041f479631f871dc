// The console's frame: sign-in until a session is open, then the sections the
// user's role may use (#/counter, #/bench, ...), the store switcher and
// sign-out. A session that ends goes back to sign-in; the cart stays (it lives
// here, not in the session).
import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { AdminScreen } from "./admin";
import { BenchScreen } from "./bench";
import { ClientsScreen } from "./clients";
import { CounterScreen, emptyCart, type Cart } from "./counter";
import { HqScreen } from "./hq";
import { forgetWho, whoAmI } from "./offline/session";
import { can, MANAGERS, OVERSIGHT, READERS, SELLERS, STAFF, type Role, type ScreenProps } from "./screen";
import { SignIn } from "./SignIn";
import { StockScreen } from "./stock";

interface Who {
  me: api.Me;
  stores: api.Store[];
}

interface Section {
  id: string;
  label: string;
  roles: Role[];
}

/** In the order of the navigation; a role sees the ones it may use, its first one by default. */
const SECTIONS: Section[] = [
  { id: "counter", label: "Counter", roles: SELLERS },
  { id: "bench", label: "Bench", roles: STAFF },
  { id: "clients", label: "Clients", roles: READERS },
  { id: "stock", label: "Stock", roles: [...STAFF, "auditor"] },
  { id: "hq", label: "HQ", roles: OVERSIGHT },
  { id: "admin", label: "Admin", roles: MANAGERS },
];

function hashSection(): string {
  return window.location.hash.replace(/^#\/?/, "").split("/")[0] ?? "";
}

export function App() {
  const [who, setWho] = useState<Who | null>(null);
  const [storeId, setStoreId] = useState<string | null>(null);
  const [cart, setCart] = useState<Cart>(emptyCart);
  const [notice, setNotice] = useState("");
  const [section, setSection] = useState(hashSection());

  async function open() {
    const [me, stores] = await whoAmI(); // kept for a reload while offline (the counter sells cash)
    const mine = me.store_ids?.length ? stores.filter((s) => me.store_ids!.includes(s.id)) : stores;
    setWho({ me, stores: mine });
    const kept = mine.find((s) => s.id === storeId) ?? mine[0];
    setStoreId(kept?.id ?? null);
    api.actAt(kept?.id ?? null);
    setNotice("");
  }

  useEffect(() => {
    api.whenSessionEnds(() => {
      setWho(null);
      setNotice("Your session has ended. Sign in again; the cart is kept.");
    });
    const onHash = () => setSection(hashSection());
    window.addEventListener("hashchange", onHash);
    if (api.signedIn()) open().catch(() => setWho(null));
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  function switchStore(id: string) {
    setStoreId(id);
    api.actAt(id);
    setCart(emptyCart());
  }

  async function signOut() {
    await api.signOut();
    forgetWho();
    setWho(null);
    setCart(emptyCart());
    setNotice("Signed out.");
  }

  if (!who) return <SignIn notice={notice} onSignedIn={open} />;
  const store = who.stores.find((s) => s.id === storeId) ?? null;
  const mine = SECTIONS.filter((s) => can(who.me, s.roles));
  const current = mine.find((s) => s.id === section) ?? mine[0];
  const props: ScreenProps = { me: who.me, store, stores: who.stores };
  return (
    <div class="frame">
      <header class="bar">
        <nav aria-label="Sections">
          {mine.map((s) => (
            <a href={`#/${s.id}`} aria-current={s.id === current?.id ? "page" : undefined}>
              {s.label}
            </a>
          ))}
        </nav>
        {who.stores.length > 1 ? (
          <label>
            Store{" "}
            <select value={storeId ?? ""} onChange={(e) => switchStore(e.currentTarget.value)}>
              {who.stores.map((s) => (
                <option value={s.id}>
                  {s.code} · {s.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span>{store ? `${store.code} · ${store.name}` : "no store"}</span>
        )}
        <span class="who">
          {who.me.username} ({who.me.role?.replace("_", " ")})
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main key={`${current?.id}:${storeId}`}>
        {current?.id === "counter" && <CounterScreen {...props} cart={cart} setCart={setCart} />}
        {current?.id === "bench" && <BenchScreen {...props} />}
        {current?.id === "clients" && <ClientsScreen {...props} />}
        {current?.id === "stock" && <StockScreen {...props} />}
        {current?.id === "hq" && <HqScreen {...props} />}
        {current?.id === "admin" && <AdminScreen {...props} />}
        {!current && <p>Your role has no screen here.</p>}
      </main>
    </div>
  );
}
