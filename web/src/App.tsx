// The console's frame: sign-in until a session is open, then the store
// switcher, sign-out and the counter. A session that ends goes back to sign-in;
// the cart stays (it lives here, not in the session).
import { useEffect, useState } from "preact/hooks";
import * as api from "./api";
import { Counter, emptyCart, type Cart } from "./Counter";
import { SignIn } from "./SignIn";

interface Who {
  me: api.Me;
  stores: api.Store[];
}

export function App() {
  const [who, setWho] = useState<Who | null>(null);
  const [storeId, setStoreId] = useState<string | null>(null);
  const [cart, setCart] = useState<Cart>(emptyCart);
  const [notice, setNotice] = useState("");

  async function open() {
    const [me, stores] = await Promise.all([api.me(), api.stores()]);
    const mine = me.store_ids?.length ? stores.filter((s) => me.store_ids!.includes(s.id!)) : stores;
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
    if (api.signedIn()) open().catch(() => setWho(null));
  }, []);

  function switchStore(id: string) {
    setStoreId(id);
    api.actAt(id);
    setCart(emptyCart());
  }

  async function signOut() {
    await api.signOut();
    setWho(null);
    setCart(emptyCart());
    setNotice("Signed out.");
  }

  if (!who) return <SignIn notice={notice} onSignedIn={open} />;
  const store = who.stores.find((s) => s.id === storeId);
  return (
    <div class="frame">
      <header class="bar">
        <strong>Counter</strong>
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
      <main>
        {store ? <Counter store={store} cart={cart} setCart={setCart} /> : <p>You have no store to sell from.</p>}
      </main>
    </div>
  );
}
