// The console's service worker (built as /sw.js, registered by main.tsx): the
// app shell (the page and the build's hashed files) cached when installed, so
// the counter opens and sells cash with the gateway unreachable. The page is
// served from the cache and refreshed behind it; a hashed file never changes.
// API answers are never cached here (the counter keeps what it needs itself,
// in IndexedDB: offline/db.ts). Each build has its own cache: the build's file
// list is written in below when it is built (vite.config.ts), so a new build
// installs a new worker that drops the old cache.
const SHELL: string[] = JSON.parse("__SHELL_FILES__");
const CACHE = `console-shell-${"__SHELL_VERSION__"}`;
const PAGE = "/";

interface ExtendableEvent extends Event {
  waitUntil(done: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(answer: Promise<Response>): void;
}
const worker = self as unknown as {
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
};

worker.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([PAGE, ...SHELL])).then(() => worker.skipWaiting()));
});

worker.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("console-shell-") && name !== CACHE) await caches.delete(name);
    }
    await worker.clients.claim();
  })());
});

/** The page: from the network when it answers (kept for next time), else this build's copy. */
async function page(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const answer = await fetch(request);
    if (answer.ok) await cache.put(PAGE, answer.clone());
    return answer;
  } catch {
    return (await cache.match(PAGE)) ?? Response.error();
  }
}

/** A hashed file: the cached one, else the network. */
async function asset(request: Request): Promise<Response> {
  return (await caches.match(request)) ?? fetch(request);
}

worker.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== location.origin) return;
  if (request.mode === "navigate" && (url.pathname === "/" || url.pathname === "/index.html")) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(asset(request));
  }
  // everything else (the API) goes to the network as if there were no worker
});
