// The bench's vocabulary: stage names as a person reads them, the moves a card
// offers (the workflow the API documents on POST /work-orders/{id}/transition;
// the job's detail uses the API's own ``allowed_stages``), and the few calls
// every tab of the bench makes.
import * as api from "../api";

export type Job = api.S["WorkOrderView"];
export type Stage = api.S["Stage"];

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

/** Stages a command reaches, never a bare move: an estimate, an approval, a paid balance. */
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
export function cardMoves(job: Job): string[] {
  return ((job.kind === "custom" ? CUSTOM_NEXT : BENCH_NEXT)[job.stage] ?? []).slice();
}

export function clientName(job: Job): string {
  const c = job.client as { first_name?: string; last_name?: string } | null;
  return c ? `${c.first_name ?? ""} ${c.last_name ?? ""}`.trim() || "—" : "—";
}

export const KINDS: { id: api.S["WorkOrdersKind"]; label: string }[] = [
  { id: "repair", label: "Repair" },
  { id: "resize", label: "Resize" },
  { id: "engraving", label: "Engraving" },
  { id: "custom", label: "Custom work" },
  { id: "appraisal", label: "Appraisal" },
];

export const getJob = (id: string) => api.getJson<Job>(`/work-orders/${encodeURIComponent(id)}`);

export const transition = (id: string, stage: string, note = "") =>
  api.sendJson<Job>("POST", `/work-orders/${id}/transition`, { stage, note });

export const approve = (id: string) => api.sendJson<Job>("POST", `/work-orders/${id}/approve`, {});

export const openJob = (id: string) => {
  window.location.hash = `#/bench/job/${id}`;
};

/** A file as base64 without the ``data:`` prefix. */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** A blob as a ``data:`` URL (the console's policy shows images from data: and itself only). */
export function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

const LONGEST_SIDE = 1600;

/**
 * A camera photo made small enough for one request (the gateway takes bodies
 * up to 1 MiB): at most 1600 px on its longest side, as JPEG. A small image
 * goes as it is.
 */
export async function photoForUpload(file: File): Promise<string> {
  if (file.size <= 600 * 1024 && /^image\/(jpeg|png|webp)$/.test(file.type)) return base64Of(file);
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONGEST_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.82));
  if (!blob) throw new Error("the photo could not be read");
  return base64Of(blob);
}

/** Add one photo to a job (one request each: a retry never adds it twice). */
export const addPhoto = async (jobId: string, file: File, caption = "") =>
  api.sendJson<api.S["PhotoView"]>(
    "POST",
    `/work-orders/${jobId}/photos`,
    { content_base64: await photoForUpload(file), caption },
    { idempotencyKey: crypto.randomUUID() },
  );
