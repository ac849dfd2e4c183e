/**
 * braid behind an HTTP handler, in the shape of a Deno Deploy app: one
 * driver built at start-up, executed once per request. A driver holds no
 * per-run state, so concurrent requests share nothing mutable.
 *
 *     deno run --allow-net --allow-env=PORT examples/serve.ts
 *     curl 'http://localhost:8000/?x=3&y=4'
 *     curl 'http://localhost:8000/?x=3&y=4&scale=2&vars=scaled,ratio'
 *
 * Query parameters are the graph's inputs (numbers); `vars` picks the nodes
 * to return (default: sum, product, hypot, scaled). Every error is answered
 * with a JSON body `{ error }`: 400 for bad input, 503 when a run takes
 * longer than the request timeout. A client that goes away cancels its run,
 * and that is not an error: nothing is logged.
 *
 * @module
 */
import {
  Builder,
  CancelledError,
  MissingInputError,
  NodeExecutionError,
  UnknownNodeError,
} from "../mod.ts";
import * as nodes from "./serve_nodes.ts";

/** A request handler, as `Deno.serve` takes it. */
export type Handler = (req: Request) => Promise<Response>;

type Var = "sum" | "product" | "hypot" | "scaled" | "ratio";
const ALL_VARS: readonly Var[] = ["sum", "product", "hypot", "scaled", "ratio"];
const DEFAULT_VARS: readonly Var[] = ["sum", "product", "hypot", "scaled"];

function isVar(name: string): name is Var {
  return (ALL_VARS as readonly string[]).includes(name);
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/** A 400 answer; `BadRequest` is thrown while reading the query. */
class BadRequest extends Error {}

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /** How long one request's run may take. @default {10_000} */
  readonly timeoutMs?: number;
  /** Where unexpected errors are reported. @default {console.error} */
  readonly logError?: (error: unknown) => void;
}

// The status of an answer nobody reads: the client closed the connection
// (nginx's name for it); the response is never delivered.
const CLIENT_GONE = 499;

/** Builds the driver once and returns the handler that uses it. */
export async function createHandler(
  options: HandlerOptions = {},
): Promise<Handler> {
  const { timeoutMs = 10_000, logError = console.error } = options;
  const driver = await new Builder()
    .withModules(nodes)
    .withExecutor("async")
    .build();
  const inputNames = new Set(
    driver.listAvailableVariables()
      .filter((v) => v.kind === "input")
      .map((v) => v.name),
  );

  // Everything below is local to one request.
  const readQuery = (params: URLSearchParams) => {
    const inputs: Record<string, number> = {};
    let vars: readonly Var[] = DEFAULT_VARS;
    for (const [key, raw] of params) {
      if (key === "vars") {
        const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !isVar(n));
        if (unknown.length > 0 || names.length === 0) {
          throw new BadRequest(
            `'vars' must list some of ${
              ALL_VARS.join(", ")
            }: received "${raw}"`,
          );
        }
        vars = names.filter(isVar);
      } else if (inputNames.has(key)) {
        const value = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(value)) {
          throw new BadRequest(
            `'${key}' must be a finite number: received "${raw}"`,
          );
        }
        inputs[key] = value;
      } else {
        throw new BadRequest(
          `unknown query parameter '${key}'; expected vars or one of ${
            [...inputNames].join(", ")
          }`,
        );
      }
    }
    return { inputs, vars };
  };

  return async function handler(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname !== "/") {
      return json(404, { error: `not found: ${url.pathname}` });
    }
    if (req.method !== "GET") {
      return json(405, { error: `method ${req.method} not allowed` });
    }
    // The run stops when the client goes away or the time is up.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      const { inputs, vars } = readQuery(url.searchParams);
      const values = await driver.execute(vars, {
        inputs,
        signal: AbortSignal.any([req.signal, deadline.signal]),
      });
      return json(200, values);
    } catch (error) {
      if (error instanceof CancelledError) {
        if (req.signal.aborted) return json(CLIENT_GONE, { error: "gone" });
        if (deadline.signal.aborted) {
          return json(503, {
            error: `the request took longer than ${timeoutMs} ms`,
          });
        }
      }
      if (
        error instanceof BadRequest || error instanceof MissingInputError ||
        error instanceof UnknownNodeError
      ) {
        return json(400, { error: error.message });
      }
      if (
        error instanceof NodeExecutionError && error.cause instanceof RangeError
      ) {
        return json(400, { error: error.cause.message, node: error.nodeName });
      }
      logError(error);
      return json(500, { error: "internal error" });
    } finally {
      clearTimeout(timer);
    }
  };
}

if (import.meta.main) {
  const handler = await createHandler();
  Deno.serve({ port: Number(Deno.env.get("PORT") ?? 8000) }, handler);
}
