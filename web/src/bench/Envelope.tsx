// The job's envelope (a PDF: barcode of the number, client, tasks, promised
// date, condition at intake), fetched with the session and opened to print.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import { FieldError } from "../FieldError";

export function Envelope({ job, autoFetch = false }: { job: { id: string; number: string }; autoFetch?: boolean }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string[] | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => () => {
    if (url) URL.revokeObjectURL(url);
  }, [url]);

  async function fetchIt(open: boolean) {
    setBusy(true);
    setError(undefined);
    try {
      const blob = await api.getBlob(`/work-orders/${job.id}/envelope.pdf`, undefined, "application/pdf");
      const made = URL.createObjectURL(new Blob([blob], { type: "application/pdf" }));
      setUrl(made);
      if (open) window.open(made, "_blank", "noopener");
    } catch (e) {
      setError([e instanceof Error ? e.message : String(e)]);
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (autoFetch) void fetchIt(false);
  }, [job.id]);

  return (
    <div class="envelope">
      {url ? (
        <p class="actions">
          <a class="button" href={url} target="_blank" rel="noopener">Open envelope to print</a>
          <a class="button" href={url} download={`envelope-${job.number}.pdf`}>Save envelope PDF</a>
        </p>
      ) : (
        <button type="button" onClick={() => fetchIt(true)} disabled={busy}>
          {busy ? "Preparing envelope…" : "Print envelope"}
        </button>
      )}
      <FieldError messages={error} />
    </div>
  );
}
