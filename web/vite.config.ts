import { defineConfig } from "vite";

// The console is served by the gateway at "/" (gateway/console.py): hashed
// files under /assets/, no inline script (the gateway's CSP forbids it).
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // two pages: the console at / and the API console at /docs (Swagger UI)
    rollupOptions: { input: { console: "index.html", docs: "docs.html" } },
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npm run dev`: the API from a gateway running locally (make run)
    proxy: Object.fromEntries(
      ["/auth", "/me", "/stores", "/items", "/sales", "/openapi.json"].map((p) => [p, "http://127.0.0.1:8000"]),
    ),
  },
});
