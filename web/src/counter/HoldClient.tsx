// What holds and layaways share: finding the client (typos forgiven, GET
// /clients?q=) with the keyboard, and a client's name from its id.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";

export type ClientSummary = api.S["ClientSummary"];

export function clientName(c: { first_name?: string; last_name?: string } | undefined | null): string {
  if (!c) return "—";
  return `${c.first_name ?? ""} ${c.last_name ?? ""}`.trim() || "—";
}

/** Focus ``el`` unless the person is already in a field: an answer that comes late
 * never pulls the cursor out of what they are typing (after a tab's link, it may). */
export function focusIfIdle(el: HTMLElement | null | undefined) {
  const active = document.activeElement;
  if (!el || (active && active !== document.body && !active.closest("nav"))) return;
  el.focus();
}

const names = new Map<string, Promise<string>>();

/** The names of these clients (fetched once each; "—" when not visible). */
export function useClientNames(ids: (string | null | undefined)[]): Record<string, string> {
  const [known, setKnown] = useState<Record<string, string>>({});
  const wanted = [...new Set(ids.filter((id): id is string => !!id))];
  const key = wanted.sort().join(",");
  useEffect(() => {
    let live = true;
    for (const id of wanted) {
      if (!names.has(id)) {
        names.set(id, api.getJson<api.S["ClientView"]>(`/clients/${id}`).then(clientName, () => "—"));
      }
      void names.get(id)!.then((name) => live && setKnown((k) => (k[id] === name ? k : { ...k, [id]: name })));
    }
    return () => {
      live = false;
    };
  }, [key]);
  return known;
}

interface PickerProps {
  /** The client picked, or null. */
  value: ClientSummary | null;
  onPick: (client: ClientSummary | null) => void;
  /** The API's messages about ``client_id``. */
  messages?: string[];
  id: string;
  /** Take the focus when shown (the next thing to do is finding the client). */
  autoFocus?: boolean;
}

/** Type a name, a phone or an e-mail and Enter; the matches are buttons (the first has the focus). */
export function ClientPicker({ value, onPick, messages, id, autoFocus }: PickerProps) {
  const [q, setQ] = useState("");
  const [found, setFound] = useState<ClientSummary[] | null>(null);
  const [error, setError] = useState<string[] | undefined>();
  const first = useRef<HTMLButtonElement>(null);
  const input = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    if (found?.length) first.current?.focus();
  }, [found]);
  useLayoutEffect(() => {
    if (autoFocus) input.current?.focus();
  }, []);

  async function search(event: Event) {
    event.preventDefault();
    event.stopPropagation();
    const text = q.trim();
    if (!text) return;
    setError(undefined);
    try {
      const page = await api.getJson<api.S["ClientPage"]>("/clients", { q: text, limit: 8 });
      setFound(page.items ?? []);
      if (!page.items?.length) setError([`No client matches “${text}”`]);
    } catch (e) {
      setError(e instanceof api.ApiError ? (e.about("q").length ? e.about("q") : [e.message]) : [String(e)]);
    }
  }

  if (value) {
    return (
      <div class="picked">
        <span>
          Client <strong>{clientName(value)}</strong>
          {value.phone ? ` · ${value.phone}` : ""}
        </span>
        <button type="button" onClick={() => { onPick(null); setFound(null); setTimeout(() => input.current?.focus()); }}>
          Change client
        </button>
        <FieldError messages={messages} />
      </div>
    );
  }
  return (
    <div class="client-picker">
      <label for={`${id}-q`}>Client</label>
      <div class="inline">
        <input id={`${id}-q`} ref={input} autocomplete="off" placeholder="name, phone or e-mail, then Enter"
          value={q} onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => e.key === "Enter" && void search(e)} />
        <button type="button" onClick={search}>Find</button>
      </div>
      <FieldError messages={error ?? messages} />
      {found && found.length > 0 && (
        <ul class="matches" aria-label="Matching clients">
          {found.map((c, i) => (
            <li key={c.id}>
              <button type="button" ref={i === 0 ? first : undefined} onClick={() => onPick(c)}>
                {clientName(c)}
                <span class="muted">{[c.phone, c.email].filter(Boolean).join(" · ")}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
