// Hand-drawn SVG charts: each an image with a name (role="img" + aria-label
// saying what it shows) and its figures in a table beside it, for a screen
// reader and for anyone who wants the numbers.

export interface Bar {
  label: string;
  value: number;
  /** The value as a person reads it ("$1,200.00"). */
  shown: string;
}

const W = 480;

/** Horizontal bars, one per row (stores, aging buckets). */
export function BarChart({ title, bars, summary }: { title: string; bars: Bar[]; summary: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const row = 28;
  const labelW = 120;
  const valueW = 190;
  const h = Math.max(row, bars.length * row) + 8;
  return (
    <figure class="chart">
      <svg role="img" aria-label={`${title}: ${summary}`} viewBox={`0 0 ${W} ${h}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {bars.map((b, i) => {
          const y = 4 + i * row;
          const w = Math.max(b.value > 0 ? 2 : 0, ((W - labelW - valueW) * b.value) / max);
          return (
            <g key={b.label}>
              <text x={labelW - 6} y={y + row / 2 + 4} text-anchor="end" class="axis">{b.label}</text>
              <rect x={labelW} y={y + 4} width={w} height={row - 10} class="bar" />
              <text x={labelW + w + 6} y={y + row / 2 + 4} class="value">{b.shown}</text>
            </g>
          );
        })}
        {!bars.length && <text x={10} y={20} class="axis">No figures yet</text>}
      </svg>
    </figure>
  );
}

/** Columns over days (sales by day). */
export function ColumnChart({ title, bars, summary }: { title: string; bars: Bar[]; summary: string }) {
  const h = 180;
  const base = h - 24;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = bars.length ? W / bars.length : W;
  const width = Math.max(4, Math.min(28, slot - 6));
  const top = bars.reduce((best, b) => (b.value > best.value ? b : best), bars[0] ?? { label: "", value: 0, shown: "" });
  return (
    <figure class="chart">
      <svg role="img" aria-label={`${title}: ${summary}`} viewBox={`0 0 ${W} ${h}`} width="100%" preserveAspectRatio="xMinYMin meet">
        <line x1={0} x2={W} y1={base} y2={base} class="baseline" />
        {bars.map((b, i) => {
          const x = i * slot + (slot - width) / 2;
          const colH = ((base - 18) * b.value) / max;
          return (
            <g key={b.label}>
              <rect x={x} y={base - colH} width={width} height={colH} class="bar" />
              {(bars.length - 1 - i) % Math.ceil(bars.length / 7) === 0 && (
                <text x={x + width / 2} y={h - 8} text-anchor="middle" class="axis">{b.label}</text>
              )}
            </g>
          );
        })}
        {top.value > 0 && (
          <text x={W - 4} y={12} text-anchor="end" class="value">best: {top.label} {top.shown}</text>
        )}
      </svg>
    </figure>
  );
}

/** The figures of a chart as a table (the chart's text alternative, shown). */
export function FigureTable({ caption, head, rows }: { caption: string; head: string[]; rows: (string | number)[][] }) {
  return (
    <table class="figures-table">
      <caption>{caption}</caption>
      <thead>
        <tr>{head.map((h, i) => <th class={i ? "amount" : undefined} scope="col">{h}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr>{r.map((c, i) => (i ? <td class="amount">{c}</td> : <th scope="row">{c}</th>))}</tr>
        ))}
        {!rows.length && <tr><td colSpan={head.length} class="empty">No figures yet.</td></tr>}
      </tbody>
    </table>
  );
}
