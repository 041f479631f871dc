// One Idempotency-Key per thing the person means to do once (a cash-out, a close,
// a cancel): kept while its answer is unknown, so pressing the button again after
// a lost answer is the same request and never moves cash or stock twice; a new one
// after an answer (done, or refused: a refusal is final and the corrected form is
// another request).
import { useRef } from "preact/hooks";
import * as api from "./api";

export interface Intent {
  /** The key for this attempt. */
  key(): string;
  /** The attempt was answered ``ok`` or with ``error``: a new key unless the answer was lost. */
  settle(error?: unknown): void;
}

export function useIntent(): Intent {
  const current = useRef<string>(crypto.randomUUID());
  return {
    key: () => current.current,
    settle: (error?: unknown) => {
      if (error === undefined || api.needsNewKey(error)) current.current = crypto.randomUUID();
    },
  };
}
