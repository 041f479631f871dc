// Message templates: the catalog of triggers with their placeholders and
// built-in wording, and the wording saved for the chain (HQ) or a store (its
// manager). The editor inserts placeholders, previews with sample values and
// counts SMS segments; an unknown placeholder is the API's 422, by the field.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { useProblems } from "../problem";
import { can, MANAGERS, type ScreenProps } from "../screen";
import { formatTime } from "../time";
import { isHqAdmin } from "./roles";

type Trigger = api.S["TriggerWording"];
type Saved = api.S["TemplateView"];

const label = (s: string) => s.replace(/_/g, " ");

export function Templates({ me, store }: ScreenProps) {
  const admin = isHqAdmin(me);
  const writer = can(me, MANAGERS);
  const [catalog, setCatalog] = useState<Trigger[]>([]);
  const [saved, setSaved] = useState<Saved[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [trigger, setTrigger] = useState<string>("");
  const [channel, setChannel] = useState("sms");
  const [language, setLanguage] = useState("en");
  const [scope, setScope] = useState<string>(admin ? "chain" : store?.id ?? "");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [preview, setPreview] = useState<api.S["TemplatePreviewed"] | null>(null);
  const [done, setDone] = useState("");
  const problems = useProblems();
  const bodyInput = useRef<HTMLTextAreaElement>(null);

  async function load() {
    try {
      const [c, s] = await Promise.all([
        api.getJson<Trigger[]>("/message-templates/catalog"),
        api.getJson<api.S["TemplateList"]>("/message-templates", admin ? {} : { store_id: store?.id }),
      ]);
      setCatalog(c);
      setSaved(s.items ?? []);
      setLoaded(true);
      if (!trigger) setTrigger(c.find((t) => t.editable)?.trigger ?? "");
    } catch (e) {
      problems.set(e);
    }
  }
  useEffect(() => void load(), []);

  const current = catalog.find((t) => t.trigger === trigger);
  const channels = current?.channels ?? [];
  const scopeOf = (t: Saved) => (t.store_id ? t.store_id : "chain");
  const mine = saved.find((t) => t.trigger === trigger && t.channel === channel && t.language === language && scopeOf(t) === scope);
  const fallback = scope !== "chain"
    ? saved.find((t) => t.trigger === trigger && t.channel === channel && t.language === language && !t.store_id)
    : undefined;
  const builtIn = current?.defaults?.find((d) => d.channel === channel && d.language === language)
    ?? current?.defaults?.find((d) => d.channel === channel);

  // the editor starts from what applies now: this scope's saved wording, the chain's, the built-in one
  useEffect(() => {
    if (current && !channels.includes(channel)) return setChannel(channels[0] ?? "sms");
    const start = mine ?? fallback ?? builtIn;
    setSubject(start?.subject ?? "");
    setBody(start?.body ?? "");
    setPreview(null);
    setDone("");
    problems.clear();
  }, [trigger, channel, language, scope, loaded]);

  function insert(name: string) {
    const input = bodyInput.current;
    const at = input?.selectionStart ?? body.length;
    const end = input?.selectionEnd ?? at;
    setBody(body.slice(0, at) + `{${name}}` + body.slice(end));
    requestAnimationFrame(() => {
      input?.focus();
      input?.setSelectionRange(at + name.length + 2, at + name.length + 2);
    });
  }

  async function show() {
    problems.clear();
    try {
      setPreview(await api.sendJson<api.S["TemplatePreviewed"]>("POST", "/message-templates/preview",
        { trigger, body, ...(channel === "email" ? { subject } : {}) }));
    } catch (e) {
      problems.set(e);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    problems.clear();
    setDone("");
    try {
      const view = await api.sendJson<Saved>("POST", "/message-templates", {
        trigger, channel, language, body, ...(channel === "email" ? { subject } : {}),
        ...(scope === "chain" ? {} : { store_id: scope }),
      });
      setSaved([view, ...saved.filter((t) => t.id !== view.id)]);
      setPreview({ sample: view.sample, sample_subject: view.sample_subject, sms: view.sms });
      setDone("Saved: messages use this wording from now on.");
    } catch (e) {
      problems.set(e);
    }
  }

  async function remove() {
    if (!mine) return;
    problems.clear();
    try {
      await api.sendJson("DELETE", `/message-templates/${mine.id}`);
      setSaved(saved.filter((t) => t.id !== mine.id));
      setDone(scope === "chain" ? "Removed: the built-in wording applies again." : "Removed: the chain's wording applies again.");
    } catch (e) {
      problems.set(e);
    }
  }

  const editable = writer && current?.editable && (scope !== "chain" || admin);

  return (
    <div class="templates">
      <section class="panel triggers" aria-labelledby="triggers-heading">
        <h2 id="triggers-heading">Triggers</h2>
        <ul>
          {catalog.map((t) => (
            <li key={t.trigger}>
              <button type="button" class={t.trigger === trigger ? "picked" : ""} aria-pressed={t.trigger === trigger}
                onClick={() => setTrigger(t.trigger)}>
                {label(t.trigger)}
                <small>{t.editable ? `${saved.filter((s) => s.trigger === t.trigger).length} saved` : "built in"}</small>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section class="panel editor" aria-labelledby="editor-heading">
        <h2 id="editor-heading">Wording: {label(trigger)}</h2>
        <form onSubmit={save}>
          <div class="row3">
            <label>
              Channel
              <select name="channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
                {channels.map((c) => <option value={c}>{c === "sms" ? "SMS" : c === "email" ? "E-mail" : "Task"}</option>)}
              </select>
            </label>
            <label>
              Language
              <input name="language" value={language} maxLength={8} onInput={(e) => setLanguage(e.currentTarget.value.trim().toLowerCase())} />
            </label>
            <label>
              For
              <select name="scope" value={scope} onChange={(e) => setScope(e.currentTarget.value)}>
                {admin && <option value="chain">The whole chain</option>}
                {store && <option value={store.id}>{store.code} · {store.name} only</option>}
              </select>
            </label>
          </div>
          <p class="hint">
            {mine ? `Saved wording, changed ${formatTime(mine.updated_at, store?.timezone)}.`
              : fallback ? "The chain's wording applies now." : "The built-in wording applies now."}
          </p>
          {channel === "email" && (
            <>
              <label>
                Subject
                <input name="subject" value={subject} disabled={!editable} onInput={(e) => setSubject(e.currentTarget.value)} />
              </label>
              <FieldError messages={problems.about("subject")} />
            </>
          )}
          <label>
            Message
            <textarea ref={bodyInput} name="body" rows={6} value={body} disabled={!editable}
              onInput={(e) => setBody(e.currentTarget.value)} />
          </label>
          <FieldError messages={problems.about("body")} />
          <div class="placeholders" role="group" aria-label="Placeholders">
            <span>Placeholders:</span>
            {(current?.placeholders ?? []).map((p) => (
              <button type="button" class="chip" disabled={!editable} onClick={() => insert(p)} aria-label={`Insert {${p}}`}>{`{${p}}`}</button>
            ))}
          </div>
          <FieldError messages={problems.rest(["body", "subject"])} />
          <div class="actions">
            <button type="button" onClick={show}>Preview</button>
            {editable && <button type="submit">Save wording</button>}
            {editable && mine && <button type="button" onClick={remove}>Remove saved wording</button>}
            {done && <span class="ok" role="status">{done}</span>}
          </div>
        </form>
        {preview && (
          <div class="preview" aria-label="Preview">
            <h3>Preview with sample values</h3>
            {channel === "email" && preview.sample_subject && <p><strong>{preview.sample_subject}</strong></p>}
            <p class="sample">{preview.sample}</p>
            {channel === "sms" && preview.sms && (
              <p class="hint">{preview.sms.length} characters · {preview.sms.encoding} · {preview.sms.segments} segment{preview.sms.segments === 1 ? "" : "s"}</p>
            )}
          </div>
        )}
      </section>
    </div>
  );
}
