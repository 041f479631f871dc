// What every screen of the console is given by the frame.
import type * as api from "./api";

export interface ScreenProps {
  /** Who is signed in (role, stores). */
  me: api.Me;
  /** The store the user acts at (the store switcher's); null for HQ with no store picked. */
  store: api.Store | null;
  /** The stores this user may see (all of them for HQ). */
  stores: api.Store[];
}

export type Role = "hq_admin" | "store_manager" | "sales_associate" | "bench_jeweler" | "auditor";

// the role sets of chassis.identity, as the console needs them
export const STAFF: Role[] = ["hq_admin", "store_manager", "sales_associate", "bench_jeweler"];
export const SELLERS: Role[] = ["hq_admin", "store_manager", "sales_associate"];
export const MANAGERS: Role[] = ["hq_admin", "store_manager"];
export const BENCH_LEADS: Role[] = ["hq_admin", "store_manager", "bench_jeweler"];
export const READERS: Role[] = [...SELLERS, "auditor"];
export const OVERSIGHT: Role[] = [...MANAGERS, "auditor"];
export const HQ: Role[] = ["hq_admin", "auditor"];

export function can(me: api.Me, roles: Role[]): boolean {
  return roles.includes(me.role as Role);
}
