// Where a call was made, from V8's structured stack: node() records where a
// definition was made (for workers to import its module), withModules()
// resolves relative specifiers against the module that called it.

/** A function whose caller is asked for (the frames above it are skipped). */
export type Caller = (...args: never[]) => unknown;

interface V8CallSite {
  getFileName(): string | null | undefined;
}
type PrepareStackTrace = (error: unknown, sites: V8CallSite[]) => unknown;

// Where node() was called: kept as an unformatted stack capture (about a
// microsecond) and formatted on the first read of `url`, when a worker
// needs the module, since formatting a stack costs far more than capturing
// one.
export class CallSite {
  #capture: { stack?: unknown } | undefined;
  #url: string | undefined;
  constructor(below: Caller) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 1;
    const capture: { stack?: unknown } = {};
    Error.captureStackTrace(capture, below);
    Error.stackTraceLimit = limit;
    this.#capture = capture;
    Object.freeze(this);
  }

  get url(): string | undefined {
    const capture = this.#capture;
    if (capture === undefined) return this.#url;
    this.#capture = undefined;
    // The capture is formatted on its first read, by whatever
    // prepareStackTrace is installed then: ours keeps the call site's file.
    const E = Error as unknown as {
      prepareStackTrace?: PrepareStackTrace | undefined;
    };
    const previous = E.prepareStackTrace;
    E.prepareStackTrace = (_error, sites) => sites[0]?.getFileName() ?? null;
    let file: unknown;
    try {
      file = capture.stack;
    } finally {
      E.prepareStackTrace = previous;
    }
    if (typeof file !== "string" || file === "") return undefined;
    // Deno names local modules by path, others by URL.
    return this.#url = file.startsWith("/")
      ? new URL(`file://${file}`).href
      : file;
  }
}

/**
 * The URL of the module that called `below`, or `undefined` where the
 * caller is not a module (an eval, the REPL).
 */
export function callerUrl(below: Caller): string | undefined {
  return new CallSite(below).url;
}
