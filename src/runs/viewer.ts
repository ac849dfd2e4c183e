/**
 * The web run viewer: `serveViewer({ port, store })` serves, on loopback by
 * default, a page listing a run store's runs (status, duration, tags; by
 * status and tag) that opens a run to show its graph coloured by status, a
 * timeline of its nodes (one lane per executor and worker), each node's
 * details (error and stack, logs, cache outcome, data version, attempts),
 * and follows runs as they start and end (server-sent events). Plain
 * `Deno.serve` and one page of plain modules: nothing to build.
 *
 * JSON API: `GET /api/runs` (`?status=`, `?tag=key=value`, `?limit=`),
 * `GET /api/runs/:id` (`{ run, nodes, items }`), `GET /api/runs/:id/svg`,
 * `GET /api/events` (SSE: `runs` when a run starts or ends). Nothing
 * changes data, except `POST /api/runs/:id/reexecute` (`{ select }`), which
 * answers 403 unless `reexecute` is given.
 *
 * @module
 */
import { renderSvg } from "../svg.ts";
import type { RunResult } from "../results.ts";
import type { ReexecuteOptions } from "./reexecute.ts";
import { storedRunDot } from "./_run_dot.ts";
import { VIEWER_PAGE } from "./_viewer_page.ts";
import type { RunStatus, RunStore, StoredRun } from "./types.ts";

/** Options of {@linkcode serveViewer}. */
export interface ViewerOptions {
  /** The run store to show. */
  readonly store: RunStore;
  /** The port; 0 picks a free one. @default {8765} */
  readonly port?: number;
  /** Where to listen. @default {"127.0.0.1"} */
  readonly hostname?: string;
  /** Stops the server when it aborts. */
  readonly signal?: AbortSignal;
  /** Told where the server listens. @default {a line on stderr} */
  readonly onListen?: (address: Deno.NetAddr) => void;
  /**
   * Lets the page re-execute runs (`POST /api/runs/:id/reexecute`), for
   * example `(id, options) => dr.reexecute(id, options)`. Without it, the
   * viewer changes nothing. @default {none}
   */
  readonly reexecute?: (
    runId: string,
    options: ReexecuteOptions,
  ) => Promise<RunResult<unknown>>;
  /** How often the live updates look at the store, in ms. @default {500} */
  readonly pollMs?: number;
}

const STATUSES: readonly RunStatus[] = [
  "running",
  "succeeded",
  "failed",
  "cancelled",
];

/**
 * Serves the run viewer for `options.store` and returns the server.
 *
 * @example
 * ```ts
 * import { MemoryRunStore, serveViewer } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const server = serveViewer({
 *   store: new MemoryRunStore(),
 *   port: 0,
 *   onListen: () => {},
 * });
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/api/runs`);
 * assert.deepEqual(await response.json(), { runs: [] });
 * await server.shutdown();
 * ```
 */
export function serveViewer(
  options: ViewerOptions,
): Deno.HttpServer<Deno.NetAddr> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`'options' must be an object: received ${options}`);
  }
  const { store } = options;
  if (typeof store?.list !== "function") {
    throw new TypeError("'store' must be a run store");
  }
  const pollMs = options.pollMs ?? 500;
  return Deno.serve({
    port: options.port ?? 8765,
    hostname: options.hostname ?? "127.0.0.1",
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onListen: options.onListen ??
      ((address) =>
        console.error(
          `braid run viewer on http://${address.hostname}:${address.port}/`,
        )),
  }, (request) => route(request, store, options, pollMs));
}

async function route(
  request: Request,
  store: RunStore,
  options: ViewerOptions,
  pollMs: number,
): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname;
  try {
    if (request.method === "POST") {
      const match = path.match(/^\/api\/runs\/([^/]+)\/reexecute$/);
      if (match === null) return text(404, "not found");
      if (options.reexecute === undefined) {
        return json(403, {
          error: "re-execution is off: start the viewer with `reexecute`",
        });
      }
      const body = await request.json() as { select?: unknown };
      const result = await options.reexecute(decodeURIComponent(match[1]!), {
        select: body.select as string[],
      });
      return json(200, { runId: result.runId, success: result.success });
    }
    if (request.method !== "GET") return text(405, "method not allowed");
    if (path === "/") {
      return new Response(VIEWER_PAGE, {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    }
    if (path === "/api/runs") {
      return json(200, { runs: await list(store, url) });
    }
    if (path === "/api/events") return events(store, pollMs, request.signal);
    const match = path.match(/^\/api\/runs\/([^/]+)(\/svg)?$/);
    if (match !== null) {
      const id = decodeURIComponent(match[1]!);
      const run = await store.get(id);
      if (run === undefined) return json(404, { error: `no run ${id}` });
      const nodes = await store.nodes(id);
      if (match[2] !== undefined) {
        return new Response(await renderSvg(storedRunDot(run, nodes)), {
          headers: { "content-type": "image/svg+xml" },
        });
      }
      return json(200, { run, nodes, items: await store.items(id) });
    }
    return text(404, "not found");
  } catch (error) {
    const status = error instanceof TypeError || error instanceof RangeError
      ? 400
      : 500;
    return json(status, { error: (error as Error).message ?? String(error) });
  }
}

// The runs a list query asks for, without their plans (the list shows none).
async function list(store: RunStore, url: URL): Promise<unknown[]> {
  const params = url.searchParams;
  const status = params.get("status") || undefined;
  if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
    throw new TypeError(`'status' must be one of ${STATUSES.join(", ")}`);
  }
  const tag: Record<string, string> = {};
  for (const pair of params.getAll("tag")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    if (at < 1) throw new TypeError(`'tag' must be key=value: ${pair}`);
    tag[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const limit = Number(params.get("limit") ?? 100);
  const runs = await store.list({
    ...(status === undefined ? {} : { status: status as RunStatus }),
    tag,
    limit,
  });
  return runs.map(summary);
}

function summary(run: StoredRun): Record<string, unknown> {
  const { plan: _plan, config: _config, ...rest } = run;
  return rest;
}

// Server-sent events: `runs` with the newest runs' ids and statuses each
// time they change (a run started, progressed or ended), looked for every
// `pollMs`.
function events(
  store: RunStore,
  pollMs: number,
  signal: AbortSignal,
): Response {
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = "";
  const stop = () => clearInterval(timer);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const look = async () => {
        try {
          const runs = await store.list({ limit: 50 });
          const state = runs.map((r) =>
            `${r.id}:${r.status}:${r.updatedAt ?? ""}`
          ).join(",");
          if (state === last) return;
          last = state;
          const data = JSON.stringify(
            runs.map((r) => ({ id: r.id, status: r.status })),
          );
          controller.enqueue(encoder.encode(`event: runs\ndata: ${data}\n\n`));
        } catch { /* the next look tries again */ }
      };
      controller.enqueue(encoder.encode(": braid run viewer\n\n"));
      void look();
      timer = setInterval(look, pollMs);
      signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch { /* already closed */ }
      }, { once: true });
    },
    cancel: stop,
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function text(status: number, message: string): Response {
  return new Response(message, { status });
}
