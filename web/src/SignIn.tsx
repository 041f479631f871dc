// Sign in: username and password; the one-time code when the gateway asks for it.
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "./api";
import { FieldError } from "./FieldError";

const CODE_REQUIRED = "One-time code required";

export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: () => Promise<void> }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [askCode, setAskCode] = useState(false);
  const [error, setError] = useState<api.ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const code = useRef<HTMLInputElement>(null);

  // keyboard-first: the field to type in has the focus (autofocus only works on a page's load)
  useEffect(() => first.current?.focus(), []);
  useEffect(() => code.current?.focus(), [askCode]);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const reply = await api.signIn({ username, password, ...(askCode ? { totp } : {}) });
      if (reply.limit) {
        await api.signOut();
        throw new api.ApiError(403, {
          title: reply.limit === "password" ? "Password change required" : "Second factor required",
          detail:
            reply.limit === "password"
              ? "HQ reset your password: change it (POST /me/password at /docs) before using the console."
              : "Your role needs a second factor: enrol one (POST /me/totp at /docs) first.",
        });
      }
      await onSignedIn();
    } catch (e) {
      if (e instanceof api.ApiError && e.problem.title === CODE_REQUIRED) setAskCode(true);
      setError(e instanceof api.ApiError ? e : new api.ApiError(0, { title: String(e) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="signin" onSubmit={submit}>
      <h1>Sign in</h1>
      {notice && <p class="notice" role="status">{notice}</p>}
      <label>
        Username
        <input ref={first} name="username" autocomplete="username" required value={username}
          onInput={(e) => setUsername(e.currentTarget.value)} />
      </label>
      <FieldError messages={error?.about("username")} />
      <label>
        Password
        <input name="password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <FieldError messages={error?.about("password")} />
      {askCode && (
        <>
          <label>
            One-time code
            <input ref={code} name="totp" inputMode="numeric" autocomplete="one-time-code" value={totp}
              onInput={(e) => setTotp(e.currentTarget.value)} />
          </label>
          <FieldError messages={error?.about("totp")} />
        </>
      )}
      {error && !error.about("username", "password", "totp").length && (
        <p class="error" role="alert">{error.message}</p>
      )}
      <button type="submit" disabled={busy}>Sign in</button>
    </form>
  );
}
