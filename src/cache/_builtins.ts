// The Node built-ins the file cache needs, loaded when a store first needs
// them rather than imported with braid: importing `mod.ts` then loads no
// `node:sqlite` or `node:v8` (a restricted runtime may lack them, and they
// cost milliseconds at start-up), while the stores' constructors stay
// synchronous. `process.getBuiltinModule` is Node's synchronous loader for
// built-ins, which Deno provides.
import type * as Crypto from "node:crypto";
import type * as Path from "node:path";
import type * as Sqlite from "node:sqlite";
import type * as V8 from "node:v8";

interface Builtins {
  readonly crypto: typeof Crypto;
  readonly path: typeof Path;
  readonly sqlite: typeof Sqlite;
  readonly v8: typeof V8;
}

interface NodeProcess {
  getBuiltinModule(id: string): unknown;
}

let loaded: Builtins | undefined;

/** `node:crypto`, `node:path`, `node:sqlite` and `node:v8`, loaded on first call. */
export function builtins(): Builtins {
  if (loaded !== undefined) return loaded;
  const process = (globalThis as { process?: NodeProcess }).process;
  if (typeof process?.getBuiltinModule !== "function") {
    throw new Error(
      "The file cache needs Node's built-in modules (process.getBuiltinModule), which this runtime lacks; use MemoryCacheStore or DenoKvCacheStore",
    );
  }
  return loaded = {
    crypto: process.getBuiltinModule("node:crypto") as typeof Crypto,
    path: process.getBuiltinModule("node:path") as typeof Path,
    sqlite: process.getBuiltinModule("node:sqlite") as typeof Sqlite,
    v8: process.getBuiltinModule("node:v8") as typeof V8,
  };
}
