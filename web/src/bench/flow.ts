// What every tab of the bench shares: the job's type, its stages (./stages),
// the client's name, the kinds of job and the calls they all make.
import * as api from "../api";

export type Job = api.S["WorkOrderView"];
export type Stage = api.S["Stage"];

export { BY_COMMAND, byNumber, cardMoves, CUSTOM_ONLY, label, LABELS } from "./stages";

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

const SMALL_ENOUGH = 600 * 1024; // base64 and JSON around it stay under the gateway's 1 MiB
const TRIES = [
  { side: 1600, quality: 0.82 },
  { side: 1600, quality: 0.65 },
  { side: 1200, quality: 0.6 },
  { side: 900, quality: 0.55 },
];

/**
 * A camera photo made small enough for one request: a small JPEG, PNG or WebP
 * goes as it is; anything else is drawn again as JPEG, at most 1600 px on its
 * longest side, smaller and more compressed until it fits.
 */
export async function photoForUpload(file: File): Promise<string> {
  if (file.size <= SMALL_ENOUGH && /^image\/(jpeg|png|webp)$/.test(file.type)) return base64Of(file);
  const bitmap = await createImageBitmap(file);
  try {
    for (const { side, quality } of TRIES) {
      const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
      if (!blob) throw new Error("the photo could not be read");
      if (blob.size <= SMALL_ENOUGH) return base64Of(blob);
    }
  } finally {
    bitmap.close();
  }
  throw new Error("the photo stays too large even made smaller");
}

/** Add one photo to a job (one request each: a retry never adds it twice). */
export const addPhoto = async (jobId: string, file: File, caption = "") =>
  api.sendJson<api.S["PhotoView"]>(
    "POST",
    `/work-orders/${jobId}/photos`,
    { content_base64: await photoForUpload(file), caption },
    { idempotencyKey: crypto.randomUUID() },
  );
