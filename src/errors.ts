/**
 * The errors braid throws. Every one extends {@linkcode BraidError}, names the
 * node(s) involved and, where a fix is known, says what it is.
 *
 * @module
 */

/**
 * The base class of every error braid raises on purpose.
 *
 * @example Catch any braid error
 * ```ts
 * import { BraidError, CycleError } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new CycleError(["a", "b", "a"]) instanceof BraidError);
 * ```
 */
export class BraidError extends Error {
  /** Creates an error with a message and an optional cause. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A function that cannot be a node: its inputs cannot be read, its name is
 * reserved, or a modifier was misused.
 *
 * @example
 * ```ts
 * import { InvalidNodeError } from "@braid/braid";
 * const err = new InvalidNodeError("f", "rest parameters are not supported");
 * console.assert(err.nodeName === "f");
 * ```
 */
export class InvalidNodeError extends BraidError {
  /** The node (or function) that is invalid. */
  readonly nodeName: string;
  /** Creates the error for `nodeName` with the reason it is invalid. */
  constructor(nodeName: string, reason: string, options?: ErrorOptions) {
    super(`Invalid node "${nodeName}": ${reason}`, options);
    this.nodeName = nodeName;
  }
}

/**
 * Two modules define the same node name and module overrides are not allowed.
 *
 * @example
 * ```ts
 * import { DuplicateNodeError } from "@braid/braid";
 * const err = new DuplicateNodeError("a", ["mod1", "mod2"]);
 * console.assert(err.sources.length === 2);
 * ```
 */
export class DuplicateNodeError extends BraidError {
  /** The name defined more than once. */
  readonly nodeName: string;
  /** Where each definition came from. */
  readonly sources: readonly string[];
  /**
   * Creates the error for `nodeName` defined in each of `sources`;
   * `sameModule` when both are in one module, which overrides cannot fix.
   */
  constructor(
    nodeName: string,
    sources: readonly string[],
    sameModule = false,
  ) {
    const fix = sameModule
      ? "rename one, or give them config conditions that exclude each other"
      : "rename one, or call allowModuleOverrides() to let the later module win";
    super(
      `Cannot build graph: node "${nodeName}" is defined more than once (in ${
        sources.join(" and ")
      }); ${fix}`,
    );
    this.nodeName = nodeName;
    this.sources = sources;
  }
}

/**
 * The graph has a cycle; `cycle` lists it with the first node repeated at the end.
 *
 * @example
 * ```ts
 * import { CycleError } from "@braid/braid";
 * const err = new CycleError(["a", "b", "a"]);
 * console.assert(err.message.includes('"a" -> "b" -> "a"'));
 * ```
 */
export class CycleError extends BraidError {
  /** The nodes on the cycle, first node repeated at the end. */
  readonly cycle: readonly string[];
  /** Creates the error for `cycle` (first node repeated at the end). */
  constructor(cycle: readonly string[]) {
    super(
      `Cannot build graph: cycle detected ${
        cycle.map((n) => `"${n}"`).join(" -> ")
      }`,
    );
    this.cycle = cycle;
  }
}

/** One required input that was not provided, and the nodes that need it. */
export interface MissingInput {
  /** The input's name. */
  readonly name: string;
  /** The nodes that take it as a parameter. */
  readonly neededBy: readonly string[];
  /**
   * Set when config variants define the name but none matches the config:
   * the config, as shown in the message.
   */
  readonly noVariantFor?: string;
}

/**
 * Required inputs were not provided; raised before any node runs.
 *
 * @example
 * ```ts
 * import { MissingInputError } from "@braid/braid";
 * const err = new MissingInputError(["c"], [{ name: "x", neededBy: ["b"] }]);
 * console.assert(err.missing[0]?.name === "x");
 * ```
 */
export class MissingInputError extends BraidError {
  /** Every missing input with the nodes that need it, sorted by name. */
  readonly missing: readonly MissingInput[];
  /** Creates the error for a request of `finalVars` missing `missing`. */
  constructor(finalVars: readonly string[], missing: readonly MissingInput[]) {
    const target = finalVars.map((v) => `"${v}"`).join(", ");
    const lines = missing.map((m) =>
      `${
        m.noVariantFor === undefined
          ? `required input "${m.name}" was not provided`
          : `no variant of "${m.name}" matches config ${m.noVariantFor}`
      } (needed by ${m.neededBy.map((n) => `"${n}"`).join(", ")})`
    );
    super(
      lines.length === 1
        ? `Cannot execute ${target}: ${lines[0]}`
        : `Cannot execute ${target}: ${lines.length} inputs are missing:\n  ${
          lines.join("\n  ")
        }`,
    );
    this.missing = missing;
  }
}

/**
 * Config is inconsistent: an input collides with a config key, a config key is
 * reserved, or a config value a modifier needs is missing.
 */
export class ConfigError extends BraidError {}

/**
 * A node failed while running. `cause` is what the node threw.
 *
 * @example
 * ```ts
 * import { NodeExecutionError } from "@braid/braid";
 * const err = new NodeExecutionError("b", "run-1", ["x", "a", "b"], new Error("boom"));
 * console.assert(err.message.includes("boom"));
 * ```
 */
export class NodeExecutionError extends BraidError {
  /** The node that failed. */
  readonly nodeName: string;
  /** The run it failed in. */
  readonly runId: string;
  /** A path from an input (or a source node) to the failed node. */
  readonly path: readonly string[];
  /** The item it failed on, in a map or a fan-out block. */
  readonly item?: number;
  /** What the node threw. */
  declare readonly cause: unknown;
  /** Creates the error for `nodeName` failing with `cause`. */
  constructor(
    nodeName: string,
    runId: string,
    path: readonly string[],
    cause: unknown,
    item?: number,
  ) {
    const where = item === undefined ? "" : ` (item ${item})`;
    super(
      `Node "${nodeName}"${where} failed: ${describe(cause)} [path: ${
        path.join(" -> ")
      }]`,
      { cause },
    );
    this.nodeName = nodeName;
    this.runId = runId;
    this.path = path;
    if (item !== undefined) this.item = item;
  }
}

/**
 * An input given as a promise rejected, so the run could not start.
 *
 * @example
 * ```ts
 * import { InputError } from "@braid/braid";
 * console.assert(new InputError("x", new Error("gone")).inputName === "x");
 * ```
 */
export class InputError extends BraidError {
  /** The input whose promise rejected. */
  readonly inputName: string;
  /** Creates the error for `inputName` (of map item `item`), keeping the rejection as `cause`. */
  constructor(inputName: string, cause: unknown, item?: number) {
    const where = item === undefined ? "" : ` (item ${item})`;
    super(
      `Input "${inputName}"${where} was given as a promise that rejected: ${
        describe(cause)
      }`,
      { cause },
    );
    this.inputName = inputName;
  }
}

/**
 * A `checkOutput` validator with importance `"fail"` rejected a node's value.
 *
 * @example
 * ```ts
 * import { ValidationError } from "@braid/braid";
 * const err = new ValidationError("price", "must be positive");
 * console.assert(err.message.includes('"price"') && err.nodeName === "price");
 * ```
 */
export class ValidationError extends BraidError {
  /** The node whose value was rejected. */
  readonly nodeName: string;
  /** What the validator said. */
  readonly reason: string;
  /** Creates the error for `nodeName`'s value, rejected for `reason`. */
  constructor(nodeName: string, reason: string) {
    super(`Node "${nodeName}" returned an invalid value: ${reason}`);
    this.nodeName = nodeName;
    this.reason = reason;
  }
}

/**
 * A node could not be run on a worker, or its worker failed: the message
 * says why and what to do.
 *
 * @example
 * ```ts
 * import { WorkerError } from "@braid/braid";
 * const err = new WorkerError("cannot clone", { nodeName: "a" });
 * console.assert(err.nodeName === "a");
 * ```
 */
export class WorkerError extends BraidError {
  /** The node concerned, when there is one. */
  readonly nodeName: string | undefined;
  /** Creates the error; `nodeName` names the node concerned. */
  constructor(
    message: string,
    options: ErrorOptions & { readonly nodeName?: string } = {},
  ) {
    super(message, options);
    this.nodeName = options.nodeName;
  }
}

/**
 * The remote executor cannot reach Redis, or lost its connection to it,
 * while a node needed it: `url` names the server (without its password).
 * It is a `WorkerError`, so a run fails with it as it is.
 * @example
 * ```ts
 * import { RemoteError, WorkerError } from "@braid/braid";
 * const err = new RemoteError("redis://127.0.0.1:6379", "connection refused");
 * console.assert(err instanceof WorkerError && err.url === "redis://127.0.0.1:6379");
 * ```
 */
export class RemoteError extends WorkerError {
  /** The Redis server concerned. */
  readonly url: string;
  /** Creates the error for the server at `url`, saying what went wrong. */
  constructor(
    url: string,
    problem: string,
    options: ErrorOptions & { readonly nodeName?: string } = {},
  ) {
    super(`Redis at ${url}: ${problem}`, options);
    this.url = url;
  }
}

/**
 * The run was cancelled through its `AbortSignal`.
 *
 * @example
 * ```ts
 * import { CancelledError } from "@braid/braid";
 * console.assert(new CancelledError("run-1").runId === "run-1");
 * ```
 */
export class CancelledError extends BraidError {
  /** The run that was cancelled. */
  readonly runId: string;
  /**
   * Creates the error for `runId`, keeping the abort reason as `cause`;
   * `subject` names what was cancelled in the message.
   */
  constructor(runId: string, reason?: unknown, subject = `Run ${runId}`) {
    super(
      `${subject} was cancelled${
        reason === undefined ? "" : `: ${describe(reason)}`
      }`,
      { cause: reason },
    );
    this.runId = runId;
  }
}

/**
 * A lifecycle adapter's hook threw; `cause` is what it threw.
 *
 * @example
 * ```ts
 * import { HookError } from "@braid/braid";
 * const err = new HookError("beforeNodeExecution", "Logger", new Error("x"));
 * console.assert(err.hook === "beforeNodeExecution");
 * ```
 */
export class HookError extends BraidError {
  /** The hook's method name. */
  readonly hook: string;
  /** The node the hook ran for, when it is a node-level hook. */
  readonly nodeName: string | undefined;
  /** Creates the error for `hook` of `adapter` throwing `cause` (for `nodeName`). */
  constructor(
    hook: string,
    adapter: string,
    cause: unknown,
    nodeName?: string,
  ) {
    const node = nodeName === undefined ? "" : ` for node "${nodeName}"`;
    super(
      `Hook "${hook}" of adapter ${adapter} threw${node}: ${describe(cause)}`,
      {
        cause,
      },
    );
    this.hook = hook;
    this.nodeName = nodeName;
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}

/**
 * A run with `onFailure: "continue"` finished with failed nodes: everything
 * that did not depend on them ran first. `errors` holds each failure (a
 * `NodeExecutionError`, or whatever else stopped a node), in the order they
 * happened; `skipped` names the nodes left out because something upstream
 * failed.
 *
 * It is an `AggregateError`, so it is not a `BraidError`.
 *
 * @example
 * ```ts
 * import { NodeExecutionError, RunFailedError } from "@braid/braid";
 * const failure = new NodeExecutionError("a", "run-1", ["a"], new Error("boom"));
 * const err = new RunFailedError("run-1", [failure], ["b"]);
 * console.assert(err.errors[0] === failure && err.skipped[0] === "b");
 * ```
 */
export class RunFailedError extends AggregateError {
  /** The run that failed. */
  readonly runId: string;
  /** The nodes that did not run because a node they depend on failed. */
  readonly skipped: readonly string[];
  /** Creates the error for `runId` from its node failures. */
  constructor(
    runId: string,
    errors: readonly unknown[],
    skipped: readonly string[] = [],
  ) {
    const names = errors.map((e) =>
      e instanceof NodeExecutionError ? `"${e.nodeName}"` : describe(e)
    );
    super(
      errors,
      `Run ${runId} finished with ${errors.length} failed node${
        errors.length === 1 ? "" : "s"
      } (${names.join(", ")})${
        skipped.length === 0
          ? ""
          : `; ${skipped.length} downstream node${
            skipped.length === 1 ? "" : "s"
          } skipped`
      }`,
    );
    this.name = "RunFailedError";
    this.runId = runId;
    this.skipped = Object.freeze([...skipped]);
  }
}
