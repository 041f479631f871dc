// An answer the API refused, shown where it belongs: each message next to the
// field it names (``errors: {"tenders.0.amount": [...]}``), the rest at the top.
import { useState } from "preact/hooks";
import { ApiError } from "./api";

export interface Problems {
  /** The messages about these fields (and the fields under them); undefined: none. */
  about(...fields: string[]): string[] | undefined;
  /** What no field of ``claimed`` names: the problem's detail, or a field outside the form. */
  rest(claimed: string[]): string[] | undefined;
  set(error: unknown): void;
  clear(): void;
  any: boolean;
}

export function messagesOf(error: unknown): Record<string, string[]> {
  if (error instanceof ApiError) return error.problem.errors ?? {};
  return {};
}

export function useProblems(): Problems {
  const [error, setError] = useState<unknown>(null);
  const errors = messagesOf(error);
  return {
    any: error !== null,
    about(...fields) {
      const found = Object.entries(errors)
        .filter(([name]) => fields.some((f) => name === f || name.startsWith(f + ".")))
        .flatMap(([, messages]) => messages);
      return found.length ? found : undefined;
    },
    rest(claimed) {
      if (error === null) return undefined;
      const unclaimed = Object.entries(errors)
        .filter(([name]) => !claimed.some((f) => name === f || name.startsWith(f + ".")))
        .flatMap(([name, messages]) => messages.map((m) => `${name}: ${m}`));
      if (unclaimed.length) return unclaimed;
      if (Object.keys(errors).length) return undefined;
      return [error instanceof Error ? error.message : String(error)];
    },
    set: setError,
    clear: () => setError(null),
  };
}
