/**
 * `ppo-ts web [--port 8080] [--host 127.0.0.1] [--open]`: serves the web app (built into dist/web
 * by `npm run build`) from the installed package with Node's http module. Every response carries
 * COOP `same-origin` and COEP `require-corp`, which make the page cross-origin isolated: there
 * SharedArrayBuffer exists and the WebAssembly kernels run on several threads. The app fetches
 * nothing else; any static host serving dist/web with those two headers serves the same app.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { integerFlag } from "./flags.js";

/** The headers that make a page cross-origin isolated. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
});

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
};

export interface WebServerOptions {
  port: number;
  host: string;
  /** Send the isolation headers (default true; false serves the page as a plain static host would). */
  isolated?: boolean;
  /** The built app (default: dist/web of this package). */
  root?: string;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** dist/web beside this module (the package as installed), or from src/cli under tsx and tests. */
export function webRoot(): string {
  const candidates = [new URL("../web/", import.meta.url), new URL("../../dist/web/", import.meta.url)];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(join(path, "index.html"))) return path;
  }
  throw new Error("the web app is not built (no dist/web/index.html): run `npm run build`");
}

/** The file under `root` that `url` names (index.html for a folder), or null outside it or missing. */
function fileFor(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, "http://host").pathname);
  } catch {
    return null;
  }
  const path = normalize(join(root, pathname));
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) return null;
  if (!existsSync(path)) return null;
  const file = statSync(path).isDirectory() ? join(path, "index.html") : path;
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

function respond(root: string, isolated: boolean, request: IncomingMessage, response: ServerResponse): void {
  const headers: Record<string, string> = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    ...(isolated ? ISOLATION_HEADERS : {}),
  };
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
    return;
  }
  const file = fileFor(root, request.url ?? "/");
  if (file === null) {
    response.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
    return;
  }
  const body = readFileSync(file);
  const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
  response.writeHead(200, { ...headers, "Content-Type": type, "Content-Length": String(body.length) });
  response.end(request.method === "HEAD" ? undefined : body);
}

/** Serves the app until `close()`; resolves once it listens (port 0: a free port, in `url`). */
export function serveWeb(options: WebServerOptions): Promise<WebServer> {
  const root = options.root ?? webRoot();
  const isolated = options.isolated ?? true;
  const server = createServer((request, response) => respond(root, isolated, request, response));
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${options.port} on ${options.host} is in use: choose another with --port`)
          : error,
      ),
    );
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(":") ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Opens `url` in the system's browser (nothing happens where no opener is found). */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", url]]
        : ["xdg-open", [url]];
  const child = spawn(command, args, { stdio: "ignore", detached: true });
  child.on("error", () => console.error(`ppo-ts web: could not open a browser (${command}); open ${url}`));
  child.unref();
}

export function registerWebCommand(program: Command): void {
  program
    .command("web")
    .description("serve the web app: train, watch and share agents in the browser")
    .option("--port <n>", "the port to listen on (0: any free port)", integerFlag("--port", 0), 8080)
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--open", "open the app in the system's browser")
    .action(async (opts: { port: number; host: string; open?: boolean }) => {
      const server = await serveWeb({ port: opts.port, host: opts.host });
      console.log(
        `ppo-ts web: the app is at ${server.url} (cross-origin isolated: the kernels run on every core)`,
      );
      console.log("Ctrl-C stops the server; runs stay in the browser (IndexedDB).");
      if (opts.open) openInBrowser(server.url);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void server.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
