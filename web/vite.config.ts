import { createHash } from "node:crypto";
import { defineConfig, type Plugin } from "vite";

/** The service worker's list of the console's files (not the API console's), and a
 * version from them: written into sw.js when the bundle is complete. */
function shellList(): Plugin {
  return {
    name: "console-shell-list",
    generateBundle(_options, bundle) {
      const files = new Set<string>();
      const visit = (name: string) => {
        const chunk = bundle[name];
        if (!chunk || files.has(name)) return;
        files.add(name);
        if (chunk.type !== "chunk") return;
        [...chunk.imports, ...chunk.dynamicImports].forEach(visit);
        const meta = (chunk as { viteMetadata?: { importedCss: Set<string>; importedAssets: Set<string> } }).viteMetadata;
        meta?.importedCss.forEach(visit);
        meta?.importedAssets.forEach(visit);
      };
      const entry = Object.values(bundle).find((c) => c.type === "chunk" && c.isEntry && c.name === "console");
      if (entry) visit(entry.fileName);
      const list = [...files].sort().map((f) => `/${f}`);
      const version = createHash("sha256").update(list.join("\n")).digest("hex").slice(0, 12);
      const sw = bundle["sw.js"];
      if (!sw || sw.type !== "chunk") throw new Error("the service worker was not built");
      sw.code = sw.code.replace("__SHELL_FILES__", JSON.stringify(list).replace(/"/g, '\\"'))
        .replace("__SHELL_VERSION__", version);
    },
  };
}

// The console is served by the gateway at "/" (gateway/console.py): hashed
// files under /assets/, no inline script (the gateway's CSP forbids it), and
// the service worker at /sw.js (src/sw.ts: the app shell offline).
export default defineConfig({
  base: "/",
  plugins: [shellList()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    // two pages: the console at / and the API console at /docs (Swagger UI); the worker
    rollupOptions: {
      input: { console: "index.html", docs: "docs.html", sw: "src/sw.ts" },
      output: { entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js") },
    },
    chunkSizeWarningLimit: 2000,
  },
  server: {
    // `npm run dev`: the API from a gateway running locally (make run)
    proxy: Object.fromEntries(
      ["/auth", "/me", "/stores", "/items", "/sales", "/openapi.json"].map((p) => [p, "http://127.0.0.1:8000"]),
    ),
  },
});
