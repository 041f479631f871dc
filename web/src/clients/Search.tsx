// Find a client: a name with a typo, a phone in any format or an e-mail; Enter
// searches, the results open the profile.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";
import { formatDay } from "../time";

type Summary = api.S["ClientSummary"];

const lastQuery = { q: "" }; // the search comes back when a profile is left

export function Search({ store, stores }: ScreenProps) {
  const [q, setQ] = useState(lastQuery.q);
  const [found, setFound] = useState<Summary[] | null>(null);
  const [busy, setBusy] = useState(false);
  const problems = useProblems();
  const input = useRef<HTMLInputElement>(null);
  const storeName = (id?: string | null) => stores.find((s) => s.id === id)?.code ?? "—";

  async function search(text: string) {
    lastQuery.q = text;
    if (!text.trim()) return setFound(null);
    setBusy(true);
    problems.clear();
    try {
      const page = await api.getJson<api.S["ClientPage"]>("/clients", { q: text.trim(), limit: 25 });
      setFound(page.items ?? []);
    } catch (e) {
      problems.set(e);
      setFound(null);
    } finally {
      setBusy(false);
    }
  }

  useLayoutEffect(() => {
    input.current?.focus();
    if (lastQuery.q) void search(lastQuery.q);
  }, []);

  return (
    <section class="panel" aria-labelledby="find-heading">
      <h2 id="find-heading">Find a client</h2>
      <form class="search" role="search" onSubmit={(e) => { e.preventDefault(); void search(q); }}>
        <label>
          Name, phone or e-mail
          <input ref={input} name="q" type="search" autocomplete="off" value={q}
            placeholder="e.g. Jon Smiht, (212) 555-0100, ann@example.com"
            onInput={(e) => setQ(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>Search</button>
      </form>
      <FieldError messages={problems.about("q")} />
      <FieldError messages={problems.rest(["q"])} />
      {found && (
        <table class="list">
          <caption class="sr-only">Clients found</caption>
          <thead>
            <tr><th>Client</th><th>Phone</th><th>E-mail</th><th>Tier</th><th>Home store</th><th>Last purchase</th></tr>
          </thead>
          <tbody>
            {found.map((c) => (
              <tr key={c.id}>
                <td><a href={`#/clients/find/${c.id}`}>{c.first_name} {c.last_name}</a></td>
                <td>{c.phone ?? "—"}</td>
                <td>{c.email ?? "—"}</td>
                <td>{c.tier ? <span class={`tier tier-${c.tier}`}>{c.tier}</span> : "—"}</td>
                <td>{storeName(c.home_store_id)}</td>
                <td>{formatDay(c.last_purchase_at, store?.timezone)}</td>
              </tr>
            ))}
            {!found.length && (
              <tr><td colSpan={6} class="empty">No client matches “{lastQuery.q}”.</td></tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
