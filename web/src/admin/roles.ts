// Who may change what on the admin screens (the gateway's roles, as the console needs them).
import type { Me } from "../api";

/** The HQ admin: the only role that changes users, stores, FX rates, metal prices and the chain's wording. */
export const isHqAdmin = (me: Me) => me.role === "hq_admin";
