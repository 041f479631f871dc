// Users: HQ admins see and change everyone (create, role and stores,
// deactivate, reactivate, a password reset whose temporary password shows
// once); a store manager sees the users of their own stores.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import type { ScreenProps } from "../screen";
import { formatTime } from "../time";
import { isHqAdmin } from "./roles";

type User = api.S["UserView"];
const ROLES = ["hq_admin", "store_manager", "sales_associate", "bench_jeweler", "auditor"];
const roleName = (r?: string) => (r ?? "").replace(/_/g, " ");

export function Users({ me, store, stores }: ScreenProps) {
  const admin = isHqAdmin(me);
  const [users, setUsers] = useState<User[]>([]);
  const [q, setQ] = useState("");
  const [showInactive, setShowInactive] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [reset, setReset] = useState<api.S["PasswordReset"] | null>(null);
  const problems = useProblems();
  const code = (id: string) => stores.find((s) => s.id === id)?.code ?? "another store";

  async function load() {
    try {
      setUsers(await api.allPages<User>("/users", { q, active: showInactive ? undefined : true }, 500));
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => void load(), [showInactive]);

  async function act(user: User, action: "deactivate" | "reactivate" | "password-reset") {
    problems.clear();
    setReset(null);
    try {
      if (action === "password-reset") setReset(await api.sendJson<api.S["PasswordReset"]>("POST", `/users/${user.id}/password-reset`));
      else await api.sendJson("POST", `/users/${user.id}/${action}`);
      await load();
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <>
      {admin && <NewUser stores={stores} store={store} onCreated={(u) => { setUsers([u, ...users.filter((x) => x.id !== u.id)]); }} />}
      <section class="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">{admin || me.role === "auditor" ? "Users of the chain" : "Users of your stores"}</h2>
        <form class="filters" role="search" onSubmit={(e) => { e.preventDefault(); void load(); }}>
          <label>
            Username contains
            <input name="user_q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          </label>
          <label class="check">
            <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.currentTarget.checked)} />
            Show deactivated users
          </label>
          <button type="submit">Filter</button>
        </form>
        {reset && (
          <div class="notice temporary" role="status">
            <span>Temporary password for <strong>{reset.username}</strong>:</span>
            <code>{reset.temporary_password}</code>
            <small>Shown this once: give it to them now. They choose their own at the next sign-in.</small>
            <button type="button" onClick={() => setReset(null)}>Done</button>
          </div>
        )}
        <FieldError messages={problems.rest([])} />
        <table class="list">
          <caption class="sr-only">Users</caption>
          <thead>
            <tr><th>Username</th><th>Role</th><th>Stores</th><th>Status</th><th>Password changed</th>{admin && <th><span class="sr-only">Actions</span></th>}</tr>
          </thead>
          <tbody>
            {users.map((u) =>
              editing === u.id ? (
                <tr key={u.id}>
                  <td colSpan={admin ? 6 : 5}>
                    <ChangeUser user={u} stores={stores} onDone={(changed) => {
                      setEditing(null);
                      if (changed) setUsers(users.map((x) => (x.id === changed.id ? changed : x)));
                    }} />
                  </td>
                </tr>
              ) : (
                <tr key={u.id} class={u.active ? "" : "inactive"}>
                  <td>{u.username}</td>
                  <td>{roleName(u.role)}</td>
                  <td>{u.store_ids?.length ? u.store_ids.map(code).join(", ") : "all (chain)"}</td>
                  <td>{u.active ? (u.must_change_password ? "must change password" : "active") : "deactivated"}</td>
                  <td>{formatTime(u.password_changed_at, store?.timezone)}</td>
                  {admin && (
                    <td class="row-actions">
                      <button type="button" onClick={() => setEditing(u.id)} aria-label={`Change ${u.username}`}>Change</button>
                      <button type="button" onClick={() => act(u, "password-reset")} aria-label={`Reset password for ${u.username}`}>Reset password</button>
                      {u.id !== me.id && (u.active
                        ? <button type="button" onClick={() => act(u, "deactivate")} aria-label={`Deactivate ${u.username}`}>Deactivate</button>
                        : <button type="button" onClick={() => act(u, "reactivate")} aria-label={`Reactivate ${u.username}`}>Reactivate</button>)}
                    </td>
                  )}
                </tr>
              ),
            )}
            {!users.length && <tr><td colSpan={6} class="empty">No user.</td></tr>}
          </tbody>
        </table>
      </section>
    </>
  );
}

function StoresPicker({ stores, value, onChange, problems }: { stores: api.Store[]; value: string[]; onChange: (ids: string[]) => void; problems?: string[] }) {
  return (
    <fieldset class="stores-picker">
      <legend>Stores</legend>
      {stores.map((s) => (
        <label class="check">
          <input type="checkbox" checked={value.includes(s.id)}
            onChange={(e) => onChange(e.currentTarget.checked ? [...value, s.id] : value.filter((id) => id !== s.id))} />
          {s.code} · {s.name}
        </label>
      ))}
      <FieldError messages={problems} />
    </fieldset>
  );
}

function NewUser({ stores, store, onCreated }: { stores: api.Store[]; store: api.Store | null; onCreated: (u: User) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("sales_associate");
  const [storeIds, setStoreIds] = useState<string[]>(store ? [store.id] : []);
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [done, setDone] = useState("");
  const problems = useProblems();

  async function create(event: Event) {
    event.preventDefault();
    problems.clear();
    setDone("");
    try {
      const user = await api.sendJson<User>("POST", "/users", { username, password, role, store_ids: storeIds }, { idempotencyKey: key });
      setKey(crypto.randomUUID());
      setDone(`${user.username} can sign in now.`);
      setUsername("");
      setPassword("");
      onCreated(user);
    } catch (e) {
      problems.set(e);
      // a refusal is final, a key with it spent; a lost answer keeps it, so a retry is the same request
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    }
  }

  return (
    <section class="panel" aria-labelledby="new-user-heading">
      <h2 id="new-user-heading">New user</h2>
      <form class="grid-form" onSubmit={create}>
        <div>
          <label>
            Username
            <input name="username" autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
          </label>
          <FieldError messages={problems.about("username")} />
        </div>
        <div>
          <label>
            First password
            <input name="new_password" type="password" autocomplete="new-password" value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} required />
          </label>
          <FieldError messages={problems.about("password")} />
        </div>
        <div>
          <label>
            Role
            <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map((r) => <option value={r}>{roleName(r)}</option>)}
            </select>
          </label>
          <FieldError messages={problems.about("role")} />
        </div>
        <div class="wide">
          <StoresPicker stores={stores} value={storeIds} onChange={setStoreIds} problems={problems.about("store_ids")} />
          <FieldError messages={problems.rest(["username", "password", "role", "store_ids"])} />
          <button type="submit">Create user</button>
          {done && <span class="ok" role="status"> {done}</span>}
        </div>
      </form>
    </section>
  );
}

function ChangeUser({ user, stores, onDone }: { user: User; stores: api.Store[]; onDone: (u: User | null) => void }) {
  const [role, setRole] = useState(user.role ?? "sales_associate");
  const [storeIds, setStoreIds] = useState<string[]>(user.store_ids ?? []);
  const problems = useProblems();

  async function save(event: Event) {
    event.preventDefault();
    problems.clear();
    try {
      onDone(await api.sendJson<User>("PATCH", `/users/${user.id}`, { role, store_ids: storeIds }));
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <form class="grid-form inline" onSubmit={save} aria-label={`Change ${user.username}`}>
      <div>
        <strong>{user.username}</strong>
        <label>
          Role
          <select name="change_role" value={role} onChange={(e) => setRole(e.currentTarget.value as typeof role)}>
            {ROLES.map((r) => <option value={r}>{roleName(r)}</option>)}
          </select>
        </label>
        <FieldError messages={problems.about("role")} />
      </div>
      <div class="wide">
        <StoresPicker stores={stores} value={storeIds} onChange={setStoreIds} problems={problems.about("store_ids")} />
        <FieldError messages={problems.rest(["role", "store_ids"])} />
        <div class="actions">
          <button type="submit">Save</button>
          <button type="button" onClick={() => onDone(null)}>Cancel</button>
        </div>
      </div>
    </form>
  );
}
