// The store's appointment book as a week (Monday to Sunday, the store's days
// and clock), and a viewing booked for a client with an associate who is never
// booked twice at once (the API's 409 shows next to the time).
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import { can, MANAGERS, SELLERS, type ScreenProps } from "../screen";
import { today } from "../time";
import { addDays, dayLabel, instantOf, mondayOf, wallClock } from "./zone";

type Appointment = api.S["AppointmentView"];
type Summary = { id: string; name: string };

const names = new Map<string, string>(); // client id -> name, for this page's life

async function clientName(id: string): Promise<string> {
  if (!names.has(id)) {
    try {
      const c = await api.getJson<api.S["ClientView"]>(`/clients/${id}`);
      names.set(id, `${c.first_name} ${c.last_name}`);
    } catch {
      names.set(id, "a client");
    }
  }
  return names.get(id)!;
}

interface Props extends ScreenProps {
  clientId: string | null;
}

export function Calendar({ me, store, clientId }: Props) {
  const zone = store?.timezone ?? "UTC";
  const [monday, setMonday] = useState(() => mondayOf(today(zone)));
  const [week, setWeek] = useState<Appointment[]>([]);
  const [staff, setStaff] = useState<Summary[]>([{ id: me.id, name: me.username }]);
  const [, setNamesLoaded] = useState(0);
  const problems = useProblems();
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));

  async function load() {
    if (!store) return;
    problems.clear();
    try {
      const all = await Promise.all(days.map((d) => api.allPages<Appointment>("/appointments", { store_id: store.id, date: d })));
      const found = all.flat().sort((a, b) => a.starts_at.localeCompare(b.starts_at));
      setWeek(found);
      await Promise.all([...new Set(found.map((a) => a.client_id))].map(clientName));
      setNamesLoaded((n) => n + 1);
    } catch (e) {
      problems.set(e);
    }
  }

  useEffect(() => void load(), [monday, store?.id]);
  useEffect(() => {
    if (!store || !can(me, MANAGERS)) return;
    api.allPages<api.S["UserView"]>("/users", { store_id: store.id, active: true })
      .then((users) => {
        const sellers = users.filter((u) => ["store_manager", "sales_associate"].includes(u.role ?? ""));
        const others = sellers.filter((u) => u.id !== me.id).map((u) => ({ id: u.id, name: u.username }));
        setStaff([{ id: me.id, name: me.username }, ...others]);
      })
      .catch(() => undefined);
  }, [store?.id]);

  if (!store) return <p class="panel">Pick a store to see its appointments.</p>;
  const staffName = (id: string) => staff.find((s) => s.id === id)?.name ?? "an associate";
  const now = today(zone);

  async function cancel(a: Appointment) {
    problems.clear();
    try {
      await api.sendJson("POST", `/appointments/${a.id}/cancel`);
      await load();
    } catch (e) {
      problems.set(e);
    }
  }

  return (
    <div class="calendar-screen">
      <section class="panel week" aria-labelledby="week-heading">
        <div class="title">
          <h2 id="week-heading">Appointments at {store.code}, week of {dayLabel(monday)}</h2>
          <div class="actions">
            <button type="button" onClick={() => setMonday(addDays(monday, -7))}>Previous week</button>
            <button type="button" onClick={() => setMonday(mondayOf(now))}>This week</button>
            <button type="button" onClick={() => setMonday(addDays(monday, 7))}>Next week</button>
          </div>
        </div>
        <FieldError messages={problems.rest([])} />
        <div class="days" role="list">
          {days.map((d) => {
            const booked = week.filter((a) => wallClock(a.starts_at, zone).day === d);
            return (
              <div role="listitem" class={`day${d === now ? " today" : ""}`} aria-label={dayLabel(d)} key={d}>
                <h3>{dayLabel(d)}</h3>
                {booked.map((a) => (
                  <div class={`slot ${a.status}`} key={a.id}>
                    <time dateTime={a.starts_at}>{wallClock(a.starts_at, zone).time}–{wallClock(a.ends_at, zone).time}</time>
                    <a href={`#/clients/find/${a.client_id}`}>{names.get(a.client_id) ?? "…"}</a>
                    <small>{a.purpose || "viewing"} · {staffName(a.staff_user_id)}{a.status !== "booked" ? ` · ${a.status}` : ""}</small>
                    {a.status === "booked" && can(me, SELLERS) && (
                      <button type="button" class="link" onClick={() => cancel(a)}
                        aria-label={`Cancel ${names.get(a.client_id) ?? "the"} viewing at ${wallClock(a.starts_at, zone).time} on ${dayLabel(d)}`}>
                        Cancel
                      </button>
                    )}
                  </div>
                ))}
                {!booked.length && <p class="empty">—</p>}
              </div>
            );
          })}
        </div>
      </section>
      {can(me, SELLERS) && (
        <Booking store={store} zone={zone} staff={staff} clientId={clientId}
          onBooked={(a) => { names.delete(a.client_id); setMonday(mondayOf(wallClock(a.starts_at, zone).day)); void load(); }} />
      )}
    </div>
  );
}

interface BookingProps {
  store: api.Store;
  zone: string;
  staff: Summary[];
  clientId: string | null;
  onBooked: (a: Appointment) => void;
}

function Booking({ store, zone, staff, clientId, onBooked }: BookingProps) {
  const [client, setClient] = useState<Summary | null>(null);
  const [q, setQ] = useState("");
  const [found, setFound] = useState<Summary[] | null>(null);
  const [day, setDay] = useState(() => addDays(today(zone), 1));
  const [time, setTime] = useState("11:00");
  const [minutes, setMinutes] = useState("60");
  const [purpose, setPurpose] = useState("");
  const [with_, setWith] = useState(staff[0]?.id ?? "");
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [booked, setBooked] = useState<string>("");
  const problems = useProblems();

  useEffect(() => {
    if (clientId) void clientName(clientId).then((name) => setClient({ id: clientId, name }));
  }, [clientId]);
  useEffect(() => { if (!staff.some((s) => s.id === with_)) setWith(staff[0]?.id ?? ""); }, [staff]);

  async function search(event: Event) {
    event.preventDefault();
    if (!q.trim()) return;
    problems.clear();
    try {
      const page = await api.getJson<api.S["ClientPage"]>("/clients", { q: q.trim(), limit: 10 });
      setFound((page.items ?? []).map((c) => ({ id: c.id, name: `${c.first_name} ${c.last_name}${c.phone ? ` · ${c.phone}` : ""}` })));
    } catch (e) {
      problems.set(e);
    }
  }

  async function book(event: Event) {
    event.preventDefault();
    problems.clear();
    setBooked("");
    if (!client) {
      problems.set(new api.ApiError(422, { status: 422, title: "Unprocessable", errors: { client_id: ["Find and pick the client first"] } }));
      return;
    }
    try {
      const a = await api.sendJson<Appointment>("POST", "/appointments", {
        client_id: client.id, store_id: store.id, staff_user_id: with_,
        starts_at: instantOf(day, time, zone), duration_minutes: Number(minutes), purpose: purpose.trim() || undefined,
      }, { idempotencyKey: key });
      setKey(crypto.randomUUID());
      setBooked(`Booked: ${client.name.split(" · ")[0]}, ${dayLabel(day)} at ${time}.`);
      setPurpose("");
      onBooked(a);
    } catch (e) {
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
      if (e instanceof api.ApiError && e.status === 409) {
        // the API names the associate by id: say it with their name, next to the time
        const who = staff.find((s) => s.id === with_)?.name ?? "The associate";
        problems.set(new api.ApiError(409, { ...e.problem, errors: { starts_at: [`${who} already has a viewing then: pick another time or associate`] } }));
      } else problems.set(e);
    }
  }

  return (
    <section class="panel booking" aria-labelledby="book-heading">
      <h2 id="book-heading">Book a viewing</h2>
      {client ? (
        <p class="picked">
          For <strong>{client.name}</strong>{" "}
          <button type="button" class="link" onClick={() => { setClient(null); setFound(null); }}>change</button>
        </p>
      ) : (
        <form role="search" onSubmit={search}>
          <label>
            Client
            <input name="client_q" type="search" value={q} placeholder="name or phone, then Enter" autocomplete="off"
              onInput={(e) => setQ(e.currentTarget.value)} />
          </label>
          {found && (
            <ul class="plain picks">
              {found.map((c) => (
                <li><button type="button" class="link" onClick={() => setClient(c)}>{c.name}</button></li>
              ))}
              {!found.length && <li class="empty">No client matches.</li>}
            </ul>
          )}
        </form>
      )}
      <FieldError messages={problems.about("client_id")} />
      <form class="book" onSubmit={book}>
        <div>
          <label>
            Day
            <input type="date" name="day" value={day} onInput={(e) => setDay(e.currentTarget.value)} required />
          </label>
          <FieldError messages={problems.about("starts_at")} />
        </div>
        <div>
          <label>
            Time
            <input type="time" name="time" value={time} step={900} aria-describedby="time-zone"
              onInput={(e) => setTime(e.currentTarget.value)} required />
          </label>
          <small id="time-zone">the store's clock ({zone})</small>
        </div>
        <div>
          <label>
            Length
            <select name="duration" value={minutes} onChange={(e) => setMinutes(e.currentTarget.value)}>
              {["30", "45", "60", "90", "120"].map((m) => <option value={m}>{m} minutes</option>)}
            </select>
          </label>
          <FieldError messages={problems.about("duration_minutes")} />
        </div>
        <div>
          <label>
            With
            <select name="staff" value={with_} onChange={(e) => setWith(e.currentTarget.value)}>
              {staff.map((s) => <option value={s.id}>{s.name}</option>)}
            </select>
          </label>
          <FieldError messages={problems.about("staff_user_id")} />
        </div>
        <div class="wide">
          <label>
            Purpose
            <input name="purpose" value={purpose} placeholder="e.g. engagement rings" onInput={(e) => setPurpose(e.currentTarget.value)} />
          </label>
          <FieldError messages={problems.about("purpose")} />
          <FieldError messages={problems.rest(["client_id", "starts_at", "duration_minutes", "staff_user_id", "purpose"])} />
          <button type="submit">Book</button>
          {booked && <p class="ok" role="status">{booked}</p>}
        </div>
      </form>
    </section>
  );
}
