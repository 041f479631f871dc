// HQ: the chain on one screen, live. The summary is asked for every 2 s
// (no reload) so a sale in any store shows within seconds; sales by store and
// by day, aging and stock value as charts with their figures; every report's
// CSV as a file. Chain figures are in the chain's reporting currency (the
// summary says which), converted with the rates HQ keeps; a store manager
// sees their own stores (from the reports: the summary is HQ's).
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import { format } from "../money";
import { useProblems } from "../problem";
import { can, HQ, type ScreenProps } from "../screen";
import { formatTime, today } from "../time";
import { BarChart, ColumnChart, FigureTable, type Bar } from "./charts";
import { convert, daysAgo } from "./figures";
import "./hq.css";

type Summary = api.S["HqSummary"];
type SalesReport = api.S["SalesReport"];
type Rates = api.S["RateUsed"][];

const POLL_MS = 2000;
const CHARTS_MS = 15000;
const DAYS = 14;

/** "11:06:32 AM" in the store's zone: the seconds show the screen is live. */
const clock = (iso: string, timeZone?: string) =>
  new Intl.DateTimeFormat(undefined, { timeStyle: "medium", timeZone }).format(new Date(iso));

async function download(path: string, query: api.Query, name: string) {
  const text = await api.getText(path, query, "text/csv");
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

interface Reports {
  byStore: SalesReport;
  byDay: SalesReport;
  aging: api.S["AgingReport"];
  value: api.S["StockValueReport"];
}

export function HqScreen(props: ScreenProps) {
  const { me, store, stores } = props;
  const hq = can(me, HQ);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [todayByStore, setTodayByStore] = useState<SalesReport | null>(null);
  const [reports, setReports] = useState<Reports | null>(null);
  const [checked, setChecked] = useState<string | null>(null);
  const problems = useProblems();
  const busy = useRef(false);
  const tz = store?.timezone ?? undefined;
  const storeById = new Map(stores.map((s) => [s.id, s]));

  async function poll() {
    if (busy.current || document.hidden) return; // a hidden tab asks for nothing
    busy.current = true;
    try {
      if (hq) setSummary(await api.getJson<Summary>("/hq/summary"));
      else setTodayByStore(await api.getJson<SalesReport>("/reports/sales", { group_by: "store", since: today("UTC") }));
      setChecked(new Date().toISOString());
      problems.clear();
    } catch (e) {
      problems.set(e);
    } finally {
      busy.current = false;
    }
  }

  async function loadReports() {
    try {
      const since = daysAgo(DAYS - 1);
      const [byStore, byDay, aging, value] = await Promise.all([
        api.getJson<SalesReport>("/reports/sales", { group_by: "store", since }),
        api.getJson<SalesReport>("/reports/sales", { group_by: "day", since }),
        api.getJson<api.S["AgingReport"]>("/reports/aging"),
        api.getJson<api.S["StockValueReport"]>("/reports/stock-value"),
      ]);
      setReports({ byStore, byDay, aging, value });
    } catch (e) {
      problems.set(e);
    }
  }

  useEffect(() => {
    void poll();
    void loadReports();
    const live = window.setInterval(() => void poll(), POLL_MS);
    const slow = window.setInterval(() => void loadReports(), CHARTS_MS);
    return () => {
      window.clearInterval(live);
      window.clearInterval(slow);
    };
  }, []);

  const currency = summary?.reporting_currency ?? reports?.byStore.reporting_currency ?? store?.currency ?? "USD";
  const rates: Rates = summary?.rates ?? reports?.byStore.rates ?? [];
  const missing = summary?.rates_missing ?? [];
  const money = (amount: number | null, cur = currency) => (amount === null ? "no rate" : format(amount, cur));
  const toChain = (amount: number, cur: string) => convert(amount, cur, currency, rates);
  const sum = (values: (number | null)[]) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
  const rest = problems.rest([]);

  return (
    <div class="hq">
      <header class="hq-head">
        <h1>{hq ? "The chain" : "Your stores"}</h1>
        <p class="live">
          <span aria-hidden="true">●</span> Live · checked at {checked ? clock(checked, tz) : "…"}
          {summary && <> · figures as of {formatTime(summary.as_of, tz)}</>} · in {currency}
        </p>
        <div class="actions">
          {hq && <button type="button" onClick={() => void download("/hq/summary.csv", {}, "hq-summary.csv")}>Summary CSV</button>}
          <button type="button" onClick={() => void download("/reports/sales.csv", { group_by: "store", since: daysAgo(DAYS - 1) }, "sales-by-store.csv")}>Sales by store CSV</button>
          <button type="button" onClick={() => void download("/reports/sales.csv", { group_by: "day", since: daysAgo(DAYS - 1) }, "sales-by-day.csv")}>Sales by day CSV</button>
          <button type="button" onClick={() => void download("/reports/turnover.csv", { since: daysAgo(364) }, "turnover.csv")}>Turnover CSV</button>
        </div>
      </header>
      {rest && <p class="error" role="alert">{rest.join(" ")}</p>}
      {missing.length > 0 && (
        <p class="notice">No exchange rate for {missing.join(", ")}: those stores are left out of the chain's totals.</p>
      )}
      {hq && summary && <ChainTiles summary={summary} />}
      {hq && summary && (
        <section class="panel">
          <h2>Stores today</h2>
          <table aria-label="Stores today">
            <thead>
              <tr>
                <th scope="col">Store</th><th scope="col" class="amount">Sales</th><th scope="col" class="amount">Net revenue</th>
                <th scope="col" class="amount">Pieces in stock</th><th scope="col" class="amount">Stock at retail</th>
                <th scope="col" class="amount">Open jobs (overdue)</th>
                <th scope="col" class="amount">Memos overdue (pieces)</th>
              </tr>
            </thead>
            <tbody>
              {summary.stores.map((s) => (
                <tr key={s.store_id} data-store={s.code}>
                  <th scope="row">{s.code} · {s.name}</th>
                  <td class="amount" data-figure="sales">{s.sales_today.sales}</td>
                  <td class="amount" data-figure="revenue">{format(s.sales_today.net_revenue.amount, s.sales_today.net_revenue.currency)}</td>
                  <td class="amount">{s.stock.pieces}</td>
                  <td class="amount">{s.stock.value ? format(s.stock.value.retail.amount, s.stock.value.retail.currency) : "—"}</td>
                  <td class="amount">{s.work_orders.open} ({s.work_orders.overdue})</td>
                  <td class="amount" data-figure="memos-overdue">
                    {s.memos_overdue?.memos ? <strong>⚠ {s.memos_overdue.memos} ({s.memos_overdue.pieces})</strong> : "0"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {!hq && todayByStore && (
        <section class="panel">
          <h2>Sales today (since midnight UTC)</h2>
          <FigureTable caption="Sales today by store" head={["Store", "Sales", "Net sales"]}
            rows={todayByStore.rows.map((r) => [`${r.code ?? ""} · ${r.name ?? ""}`, r.sales, format(r.net_sales.amount, r.net_sales.currency)])} />
        </section>
      )}
      {reports && (
        <div class="charts">
          <SalesByStore report={reports.byStore} currency={currency} toChain={toChain} money={money} />
          <SalesByDay report={reports.byDay} currency={currency} toChain={toChain} money={money} sum={sum} />
          <Aging report={reports.aging} toChain={toChain} money={money} sum={sum} />
          <StockValue report={reports.value} storeById={storeById} toChain={toChain} money={money} />
        </div>
      )}
    </div>
  );
}

function ChainTiles({ summary }: { summary: Summary }) {
  const c = summary.chain;
  const cur = c.currency;
  return (
    <section class="tiles" aria-label="The chain today">
      <div class="tile">
        <h2>Sales today</h2>
        <strong data-figure="chain-sales">{c.sales_today.sales}</strong>
        <span>{c.sales_today.pieces} pieces · {c.sales_today.returns} returns</span>
      </div>
      <div class="tile">
        <h2>Net revenue today</h2>
        <strong data-figure="chain-revenue">{format(c.sales_today.net_revenue.amount, cur)}</strong>
        <span>margin {format(c.sales_today.net_margin.amount, cur)}</span>
      </div>
      <div class="tile">
        <h2>Stock</h2>
        <strong>{c.stock.pieces}</strong>
        <span>pieces in {c.stores} stores</span>
      </div>
      <div class="tile">
        <h2>Owned stock</h2>
        <strong>{c.stock.value ? format(c.stock.value.retail.amount, cur) : "—"}</strong>
        <span>at retail · {c.stock.value ? format(c.stock.value.cost.amount, cur) : "—"} at cost</span>
      </div>
      <div class="tile">
        <h2>Work orders</h2>
        <strong>{c.work_orders.open}</strong>
        <span>open · {c.work_orders.overdue} overdue</span>
      </div>
      <div class="tile">
        <h2>Memos overdue</h2>
        <strong data-figure="chain-memos-overdue">{c.memos_overdue?.memos ?? 0}</strong>
        <span>{c.memos_overdue?.pieces ?? 0} pieces past their due date</span>
      </div>
    </section>
  );
}

type Convert = (amount: number, currency: string) => number | null;
type Show = (amount: number | null, currency?: string) => string;

function SalesByStore({ report, currency, toChain, money }: { report: SalesReport; currency: string; toChain: Convert; money: Show }) {
  const rows = report.rows.map((r) => ({ r, chain: toChain(r.net_sales.amount, r.currency) }));
  const bars: Bar[] = rows.map(({ r, chain }) => ({ label: r.code ?? "?", value: chain ?? 0, shown: money(chain) }));
  const best = [...bars].sort((a, b) => b.value - a.value)[0];
  return (
    <section class="panel">
      <h2>Sales by store, last {DAYS} days</h2>
      <BarChart title={`Net sales by store, last ${DAYS} days, in ${currency}`} bars={bars}
        summary={best ? `${bars.length} stores; highest ${best.label} at ${best.shown}` : "no sales"} />
      <FigureTable caption={`Net sales by store (${currency})`} head={["Store", "Sales", "Net sales", `In ${currency}`]}
        rows={rows.map(({ r, chain }) => [r.code ?? "?", r.sales, format(r.net_sales.amount, r.currency), money(chain)])} />
    </section>
  );
}

function SalesByDay({ report, currency, toChain, money, sum }: { report: SalesReport; currency: string; toChain: Convert; money: Show; sum: (v: (number | null)[]) => number }) {
  const days: string[] = [];
  for (let i = DAYS - 1; i >= 0; i--) days.push(daysAgo(i));
  const perDay = days.map((day) => {
    const rows = report.rows.filter((r) => r.day === day);
    return { day, sales: rows.reduce((a, r) => a + r.sales, 0), net: sum(rows.map((r) => toChain(r.net_sales.amount, r.currency))) };
  });
  const bars: Bar[] = perDay.map((d) => ({ label: d.day.slice(5), value: d.net, shown: money(d.net) }));
  const total = sum(perDay.map((d) => d.net));
  return (
    <section class="panel">
      <h2>Sales by day</h2>
      <ColumnChart title={`Net sales by day, last ${DAYS} days, in ${currency}`} bars={bars}
        summary={`${money(total)} in ${DAYS} days`} />
      <details>
        <summary>The figures by day</summary>
        <FigureTable caption={`Net sales by day (${currency})`} head={["Day", "Sales", "Net sales"]}
          rows={perDay.filter((d) => d.sales).map((d) => [d.day, d.sales, money(d.net)])} />
      </details>
    </section>
  );
}

const BUCKETS = ["0-90", "91-180", "181-365", "365+"] as const;

function Aging({ report, toChain, money, sum }: { report: api.S["AgingReport"]; toChain: Convert; money: Show; sum: (v: (number | null)[]) => number }) {
  const per = BUCKETS.map((b) => ({
    bucket: b,
    count: report.stores.reduce((a, s) => a + (s.buckets?.[b]?.count ?? 0), 0),
    retail: sum(report.stores.map((s) => toChain(s.buckets?.[b]?.retail ?? 0, s.currency))),
  }));
  const bars: Bar[] = per.map((p) => ({ label: `${p.bucket} days`, value: p.retail, shown: `${p.count} pieces · ${money(p.retail)}` }));
  return (
    <section class="panel">
      <h2>Aging of the stock</h2>
      <BarChart title="Stock at retail by days since received" bars={bars}
        summary={per.map((p) => `${p.bucket} days: ${p.count} pieces, ${money(p.retail)}`).join("; ")} />
      <FigureTable caption="Stock by days since received" head={["Days", "Pieces", "At retail"]}
        rows={per.map((p) => [p.bucket, p.count, money(p.retail)])} />
    </section>
  );
}

function StockValue({ report, storeById, toChain, money }: { report: api.S["StockValueReport"]; storeById: Map<string, api.Store>; toChain: Convert; money: Show }) {
  const rows = report.stores.map((s) => ({
    code: storeById.get(s.store_id)?.code ?? s.store_id.slice(0, 8),
    retail: s.stock_value ? toChain(s.stock_value.retail.amount, s.currency) : null,
    cost: s.stock_value ? toChain(s.stock_value.cost.amount, s.currency) : null,
    memo: s.memo_in.count + s.consignment.count,
  }));
  const bars: Bar[] = rows.map((r) => ({ label: r.code, value: r.retail ?? 0, shown: money(r.retail) }));
  return (
    <section class="panel">
      <h2>Stock value (owned)</h2>
      <BarChart title="Owned stock at retail by store" bars={bars}
        summary={rows.map((r) => `${r.code} ${money(r.retail)}`).join("; ") || "no stock"} />
      <FigureTable caption="Owned stock value by store" head={["Store", "At cost", "At retail", "Memo and consignment pieces"]}
        rows={rows.map((r) => [r.code, money(r.cost), money(r.retail), r.memo])} />
    </section>
  );
}
