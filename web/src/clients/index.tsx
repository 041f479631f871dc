// The client book (#/clients): find a client (typos forgiven, a phone in any
// format), their profile (#/clients/find/<id>), a new client (#/clients/new)
// and the store's appointment book as a week (#/clients/calendar[/<client id>]).
import { useEffect, useState } from "preact/hooks";
import { can, SELLERS, type ScreenProps } from "../screen";
import { Calendar } from "./Calendar";
import { ClientForm } from "./ClientForm";
import { Profile } from "./Profile";
import { Search } from "./Search";
import "./clients.css";

function route(): string[] {
  const [, tab = "find", id = ""] = window.location.hash.replace(/^#\/?/, "").split("/");
  return [tab, decodeURIComponent(id)];
}

export function ClientsScreen(props: ScreenProps) {
  const [[tab, id], setRoute] = useState(route());
  useEffect(() => {
    const onHash = () => setRoute(route());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const writer = can(props.me, SELLERS);
  const tabs = [
    { id: "find", label: "Find a client" },
    ...(writer ? [{ id: "new", label: "New client" }] : []),
    { id: "calendar", label: "Appointments" },
  ];
  return (
    <div class="clients">
      <nav class="tabs" aria-label="Clients">
        {tabs.map((t) => (
          <a href={`#/clients/${t.id}`} aria-current={t.id === tab && !(t.id === "find" && id) ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {tab === "find" && !id && <Search {...props} />}
      {tab === "find" && id && <Profile key={id} id={id} {...props} />}
      {tab === "new" && writer && (
        <ClientForm {...props} onSaved={(c) => (window.location.hash = `#/clients/find/${c.id}`)} />
      )}
      {tab === "calendar" && <Calendar {...props} clientId={id || null} />}
    </div>
  );
}
