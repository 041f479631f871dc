// Admin (#/admin/<tab>): users, stores, FX rates, metal prices, message
// templates, vendors and the stores' card readers. A store manager sees their stores' users and may
// change their stores' wording and the vendors; HQ admins change everything.
// Only what the role can do is offered; the API refuses the rest anyway.
import { useEffect, useState } from "preact/hooks";
import type { ScreenProps } from "../screen";
import { Fx, Metals } from "./Rates";
import { Readers } from "./Readers";
import { Stores } from "./Stores";
import { Templates } from "./Templates";
import { Users } from "./Users";
import { Vendors } from "./Vendors";
import "./admin.css";

const TABS = [
  { id: "users", label: "Users" },
  { id: "stores", label: "Stores" },
  { id: "fx", label: "FX rates" },
  { id: "metals", label: "Metal prices" },
  { id: "templates", label: "Message templates" },
  { id: "vendors", label: "Vendors" },
  { id: "readers", label: "Card readers" },
];

function hashTab(): string {
  return window.location.hash.replace(/^#\/?/, "").split("/")[1] || "users";
}

export function AdminScreen(props: ScreenProps) {
  const [tab, setTab] = useState(hashTab());
  useEffect(() => {
    const onHash = () => setTab(hashTab());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  return (
    <div class="admin">
      <nav class="tabs" aria-label="Admin">
        {TABS.map((t) => (
          <a href={`#/admin/${t.id}`} aria-current={t.id === tab ? "page" : undefined}>{t.label}</a>
        ))}
      </nav>
      {tab === "users" && <Users {...props} />}
      {tab === "stores" && <Stores {...props} />}
      {tab === "fx" && <Fx {...props} />}
      {tab === "metals" && <Metals {...props} />}
      {tab === "templates" && <Templates {...props} />}
      {tab === "vendors" && <Vendors {...props} />}
      {tab === "readers" && <Readers {...props} />}
    </div>
  );
}
