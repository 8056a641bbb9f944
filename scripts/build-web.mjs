/**
 * `npm run build:web`: bundles the web app (web/) into dist/web with esbuild: the page (main.js,
 * main.css), its workers (training, player, kernel threads) and index.html. The WebAssembly kernels
 * come inside the bundles (src/nn/kernels/build, embedded as base64 by build-wasm.mjs), and so do
 * the chart library and every other dependency: the page fetches nothing but these files. `_headers`
 * gives static hosts that read it (Netlify, Cloudflare Pages) the headers that make the page
 * cross-origin isolated.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const out = new URL("dist/web/", root);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  absWorkingDir: new URL(".", root).pathname,
  entryPoints: {
    main: "web/main.ts",
    train_worker: "web/train_worker.ts",
    play_worker: "web/play_worker.ts",
    kernel_worker: "web/kernel_worker.ts",
  },
  outdir: "dist/web",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome114", "firefox120", "safari17"],
  minify: true,
  // Class names are part of an env's saved state and of messages (`constructor.name`).
  keepNames: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

copyFileSync(new URL("web/index.html", root), new URL("index.html", out));
writeFileSync(
  new URL("_headers", out),
  "/*\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Embedder-Policy: require-corp\n",
);

const sizes = Object.entries(result.metafile.outputs)
  .map(([file, { bytes }]) => `${file.replace("dist/web/", "")} ${Math.round(bytes / 1024)} KB`)
  .join(", ");
console.log(`build:web: ${sizes}`);
