// Receive pieces as the API takes them (POST /items), one after another into
// a batch, then the batch's tag labels as ONE PDF (GET /labels.pdf) to print.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";
import { format, parseMajor } from "../money";
import { useProblems } from "../problem";

const CATEGORIES = ["ring", "necklace", "bracelet", "earrings", "pendant", "watch", "loose_stone", "other"];
const METALS = ["", "gold", "platinum", "palladium", "silver", "other"];
const OWNERSHIP = ["owned", "memo_in", "consignment"];
const words = (s: string) => s.replace(/_/g, " ");

interface Form {
  category: string;
  description: string;
  metal: string;
  karat: string;
  weight: string;
  price: string;
  cost: string;
  ownership: string;
}

const blank = (keep?: Form): Form => ({
  category: keep?.category ?? "ring",
  description: "",
  metal: keep?.metal ?? "gold",
  karat: keep?.karat ?? "18",
  weight: "",
  price: "",
  cost: "",
  ownership: keep?.ownership ?? "owned",
});

export function Receive({ store }: { store: api.Store }) {
  const currency = store.currency ?? "USD";
  const [form, setForm] = useState<Form>(blank());
  const [batch, setBatch] = useState<api.Item[]>([]);
  const [key, setKey] = useState(crypto.randomUUID());
  const [busy, setBusy] = useState(false);
  const [labels, setLabels] = useState<{ url: string; name: string; count: number } | null>(null);
  const problems = useProblems();
  const first = useRef<HTMLInputElement>(null);
  const set = (name: keyof Form) => (e: Event) =>
    setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });

  useEffect(() => () => { if (labels) URL.revokeObjectURL(labels.url); }, [labels]);

  async function receive(event: Event) {
    event.preventDefault();
    problems.clear();
    const price = parseMajor(form.price, currency);
    const cost = form.cost.trim() ? parseMajor(form.cost, currency) : null;
    const body: api.S["ReceiveItem"] = {
      store_id: store.id,
      category: form.category as api.S["ReceiveItem"]["category"],
      description: form.description.trim(),
      // an amount the form cannot read goes as -1: the API names the field
      price: { amount: price ?? -1, currency },
      ownership: form.ownership as api.S["ReceiveItem"]["ownership"],
    };
    if (cost !== null || form.cost.trim()) body.cost = { amount: cost ?? -1, currency };
    if (form.metal) {
      body.metal = {
        type: form.metal as api.S["MetalType"],
        weight_g: form.weight.trim(), // empty: the API says so next to the field
        ...(form.karat.trim() ? { karat: Number(form.karat) } : {}),
      };
    }
    setBusy(true);
    try {
      const item = await api.sendJson<api.Item>("POST", "/items", body, { idempotencyKey: key });
      setBatch([...batch, item]);
      setLabels(null);
      setForm(blank(form));
      setKey(crypto.randomUUID());
      first.current?.focus();
    } catch (e) {
      problems.set(e);
      if (api.needsNewKey(e)) setKey(crypto.randomUUID());
    } finally {
      setBusy(false);
    }
  }

  async function printLabels() {
    problems.clear();
    try {
      const pdf = await api.getBlob("/labels.pdf", { item_ids: batch.map((i) => i.id).join(",") }, "application/pdf");
      setLabels({ url: URL.createObjectURL(pdf), name: `tags-${store.code}-${batch[0]!.tag}.pdf`, count: batch.length });
    } catch (e) {
      problems.set(e);
    }
  }

  const rest = problems.rest(["store_id", "category", "description", "metal", "price", "cost", "ownership"]);
  return (
    <div class="stock wide-left">
      <section>
        <h2>Receive a piece</h2>
        <form onSubmit={receive}>
          <div class="row">
            <label>
              Category
              <select value={form.category} onChange={set("category")}>
                {CATEGORIES.map((c) => <option value={c}>{words(c)}</option>)}
              </select>
              <FieldError messages={problems.about("category")} />
            </label>
            <label>
              Ownership
              <select value={form.ownership} onChange={set("ownership")}>
                {OWNERSHIP.map((c) => <option value={c}>{words(c)}</option>)}
              </select>
              <FieldError messages={problems.about("ownership")} />
            </label>
          </div>
          <label>
            Description
            <input ref={first} value={form.description} onInput={set("description")} required maxLength={500} />
            <FieldError messages={problems.about("description")} />
          </label>
          <div class="row">
            <label>
              Metal
              <select value={form.metal} onChange={set("metal")}>
                {METALS.map((m) => <option value={m}>{m ? words(m) : "none (loose stone)"}</option>)}
              </select>
              <FieldError messages={problems.about("metal.type")} />
            </label>
            <label>
              Karat
              <input value={form.karat} onInput={set("karat")} inputMode="numeric" disabled={!form.metal} />
              <FieldError messages={problems.about("metal.karat", "metal.fineness")} />
            </label>
            <label>
              Weight (g)
              <input value={form.weight} onInput={set("weight")} inputMode="decimal" disabled={!form.metal} />
              <FieldError messages={problems.about("metal.weight_g")} />
            </label>
          </div>
          <div class="row">
            <label>
              Price ({currency})
              <input value={form.price} onInput={set("price")} inputMode="decimal" required />
              <FieldError messages={problems.about("price")} />
            </label>
            <label>
              Cost ({currency})
              <input value={form.cost} onInput={set("cost")} inputMode="decimal" />
              <FieldError messages={problems.about("cost")} />
            </label>
          </div>
          {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
          <button type="submit" disabled={busy}>Receive into the batch</button>
        </form>
      </section>
      <section class="print">
        <h2>This batch ({batch.length})</h2>
        {batch.length === 0 ? (
          <p class="empty">The pieces received here are listed with their new tags.</p>
        ) : (
          <table aria-label="Received pieces">
            <thead>
              <tr><th>Tag</th><th>Piece</th><th class="amount">Price</th></tr>
            </thead>
            <tbody>
              {batch.map((item) => (
                <tr key={item.id}>
                  <td class="tag">{item.tag}</td>
                  <td>{item.description}</td>
                  <td class="amount">{format(item.price.amount, item.price.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="actions" style="margin-top:0.75rem">
          <button type="button" disabled={!batch.length} onClick={printLabels}>
            Labels for {batch.length} {batch.length === 1 ? "piece" : "pieces"}
          </button>
          <button type="button" disabled={!batch.length} onClick={() => { setBatch([]); setLabels(null); }}>
            New batch
          </button>
        </div>
        {labels && (
          <p class="labels-ready" role="status">
            The labels of {labels.count} {labels.count === 1 ? "piece" : "pieces"} are one PDF, a label a page:{" "}
            <a href={labels.url} target="_blank" rel="noopener">open it to print</a> or{" "}
            <a href={labels.url} download={labels.name}>save it</a>.
          </p>
        )}
      </section>
    </div>
  );
}
