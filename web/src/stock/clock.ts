// A memo's clock in words (days left, due today, overdue by N days), apart
// from the screen: the words and a mark carry it, the colour only repeats it.

/** Whole days from ``from`` to ``to`` (both YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  const day = (s: string) => Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)));
  return Math.round((day(to) - day(from)) / 86_400_000);
}

export interface Clock {
  text: string;
  kind: "overdue" | "soon" | "later" | "closed";
}

/** The clock of a memo due on ``due`` as it is on ``today`` (the store's day). */
export function clockOf(due: string, today: string, open = true, overdue = false): Clock {
  if (!open) return { text: "returned", kind: "closed" };
  const left = daysBetween(today, due);
  if (left < 0 || overdue) {
    const late = Math.max(-left, 0);
    return { text: `⚠ OVERDUE${late ? ` by ${late} ${late === 1 ? "day" : "days"}` : ""}`, kind: "overdue" };
  }
  if (left === 0) return { text: "Due today", kind: "soon" };
  return { text: `${left} ${left === 1 ? "day" : "days"} left`, kind: left <= 7 ? "soon" : "later" };
}
