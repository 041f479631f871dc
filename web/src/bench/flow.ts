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

/** A blob as a ``data:`` URL (the console's policy shows images from data: and itself only). */
export function dataUrlOf(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

const LARGEST = 15 * 1024 * 1024; // the gateway's PHOTO_MAX_BYTES for a multipart photo
const TRIES = [
  { side: 2400, quality: 0.85 },
  { side: 1600, quality: 0.75 },
  { side: 1200, quality: 0.6 },
];

/**
 * A camera photo as the gateway takes it: a JPEG, PNG or WebP up to 15 MiB goes
 * as it is (the original, for the insurance record); anything else (a phone's
 * HEIC, a huge scan) is drawn again as JPEG, smaller until it fits.
 */
export async function photoForUpload(file: File): Promise<Blob> {
  if (file.size <= LARGEST && /^image\/(jpeg|png|webp)$/.test(file.type)) return file;
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
      if (blob.size <= LARGEST) return blob;
    }
  } finally {
    bitmap.close();
  }
  throw new Error("the photo stays too large even made smaller");
}

/** Add one photo to a job, as multipart (one request each: a retry never adds it twice). */
export async function addPhoto(jobId: string, file: File, caption = "") {
  const photo = await photoForUpload(file);
  const form = new FormData();
  form.append("photo", photo, photo === file ? file.name : file.name.replace(/\.[^.]*$/, "") + ".jpg");
  if (caption) form.append("caption", caption);
  return api.sendForm<api.S["PhotoView"]>("POST", `/work-orders/${jobId}/photos`, form,
    { idempotencyKey: crypto.randomUUID() });
}
