// The bench's workflow as the console shows it, pure (no DOM, no API): stage
// names as a person reads them and the moves a card offers (the workflow the
// API documents on POST /work-orders/{id}/transition; the job's detail uses
// the API's own ``allowed_stages``).

export const LABELS: Record<string, string> = {
  received: "Received",
  awaiting_approval: "Awaiting approval",
  approved: "Approved",
  in_progress: "At the bench",
  design: "Design",
  design_approved: "Design approved",
  casting: "Casting",
  setting: "Stone setting",
  quality_check: "Quality check",
  ready_for_pickup: "Ready for pickup",
  picked_up: "Picked up",
  cancelled: "Cancelled",
};

export const label = (stage: string | undefined) => (stage ? LABELS[stage] ?? stage.replace(/_/g, " ") : "—");

/** Stages only custom work passes through: their columns show when a job is in them. */
export const CUSTOM_ONLY = ["design", "design_approved", "casting", "setting"];

/** Stages a command reaches, never a bare move: an estimate, an approval. */
export const BY_COMMAND = ["awaiting_approval", "approved"];

const BENCH_NEXT: Record<string, string[]> = {
  approved: ["in_progress"],
  in_progress: ["quality_check"],
  quality_check: ["ready_for_pickup", "in_progress"],
};
const CUSTOM_NEXT: Record<string, string[]> = {
  approved: ["design"],
  design: ["design_approved"],
  design_approved: ["casting", "design"],
  casting: ["setting"],
  setting: ["quality_check"],
  quality_check: ["ready_for_pickup", "setting"],
};

/** The moves a card offers: forward (and back to the bench after a failed check). */
export function cardMoves(job: { kind: string; stage: string }): string[] {
  return ((job.kind === "custom" ? CUSTOM_NEXT : BENCH_NEXT)[job.stage] ?? []).slice();
}

/** The job a scanned or typed number names (any case, spaces around ignored). */
export function byNumber<T extends { number: string }>(jobs: T[], typed: string): T | undefined {
  const wanted = typed.trim().toUpperCase();
  return wanted ? jobs.find((j) => j.number.toUpperCase() === wanted) : undefined;
}
