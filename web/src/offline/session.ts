// Who is signed in, kept for the tab's session (as the tokens are): a reload
// with the gateway unreachable opens the console as it was, for the counter's
// offline sales, instead of the sign-in page.
import * as api from "../api";
import { isNetworkError } from "./queue";

const KEY = "console.who";

export async function whoAmI(): Promise<[api.Me, api.Store[]]> {
  try {
    const who = await Promise.all([api.me(), api.stores()]);
    sessionStorage.setItem(KEY, JSON.stringify(who));
    return who;
  } catch (e) {
    const kept = sessionStorage.getItem(KEY);
    if (isNetworkError(e) && kept && api.signedIn()) return JSON.parse(kept);
    throw e;
  }
}

export function forgetWho() {
  sessionStorage.removeItem(KEY);
}
