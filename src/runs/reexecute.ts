/**
 * Re-execution (Dagster's `reexecute_pipeline` with a step selection): run
 * the selected nodes of a stored run again, every other node it needs taking
 * the parent run's value from the persistent cache result store the parent
 * wrote. Unlike Dagster, the selected nodes always run (never served from
 * the cache or the parent: its #4014), and a re-execution whose values are
 * not persisted is refused before anything runs, naming the nodes (its
 * #3625, #4015).
 *
 * @module
 */
import { RECOMPUTE } from "../cache/cache.ts";
import { BraidError, MissingInputError } from "../errors.ts";
import type { RunResult } from "../results.ts";
import type { ExecuteOptions, Runner } from "../runner.ts";
import type { RunTags } from "../events.ts";
import { isThenable } from "../_thenable.ts";
import { storedRun } from "./_stored.ts";
import type { StoredRun } from "./types.ts";

/** Options of `dr.reexecute`. */
export interface ReexecuteOptions {
  /**
   * The nodes to run again: `"node"`, `"node+"` (it and everything
   * downstream of it in the parent run), `"+node"` (it and everything
   * upstream).
   */
  readonly select: readonly string[];
  /**
   * Inputs the selected nodes need (a run's inputs are stored by data
   * version, not value). @default {{}}
   */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** Values that replace nodes, over the parent's stored values. @default {{}} */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Cancels the run. */
  readonly signal?: AbortSignal;
  /** The new run's tags. */
  readonly tags?: RunTags;
}

/**
 * A re-execution refused before it ran: the values it needs are not
 * persisted, or an input is missing. `nodes` names the nodes concerned.
 */
export class ReexecutionError extends BraidError {
  /** The parent run. */
  readonly runId: string;
  /** The nodes (or inputs) the refusal concerns. */
  readonly nodes: readonly string[];
  /** Creates the error for run `runId`. */
  constructor(runId: string, nodes: readonly string[], reason: string) {
    super(`Cannot re-execute run ${runId}: ${reason}`);
    this.runId = runId;
    this.nodes = nodes;
  }
}

/** Re-executes stored run `runId` on `runner` (see {@linkcode ReexecuteOptions}). */
export async function reexecute(
  runner: Runner,
  runId: string,
  options: ReexecuteOptions,
): Promise<RunResult> {
  const log = runner.runLog;
  if (log === undefined) {
    throw new TypeError(
      "Re-execution reads the parent run from the run store: build the driver with withRunStore({ path }) or withRunStore({ store })",
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`'options' must be an object: received ${options}`);
  }
  await log.settled();
  const parent = await log.store.get(runId);
  if (parent === undefined) {
    throw new TypeError(`Run "${runId}" is not in the run store`);
  }
  if (parent.kind === "map") {
    throw new ReexecutionError(
      runId,
      [],
      "it is a map, whose items are not stored by value; re-run the map",
    );
  }
  const selected = selection(parent, options.select);
  const given = options.overrides ?? {};
  const reused = reusedNodes(parent, selected).filter((n) =>
    !Object.hasOwn(given, n)
  );
  const unknown = [...selected, ...reused].filter((n) =>
    !runner.graph.specs.has(n)
  );
  if (unknown.length > 0) {
    throw new ReexecutionError(
      runId,
      unknown,
      `${list(unknown)} ${
        unknown.length === 1 ? "is" : "are"
      } no longer nodes of this driver`,
    );
  }
  const vars = [
    ...parent.finalVars,
    ...[...selected].filter((n) => !parent.finalVars.includes(n)),
  ];
  // Every refusal comes before any value is read or node runs: missing
  // inputs first (checked by planning with the names alone).
  const placeholders = Object.fromEntries(reused.map((n) => [n, undefined]));
  try {
    runner.plan(vars, {
      inputs: options.inputs ?? {},
      overrides: { ...placeholders, ...given },
    });
  } catch (error) {
    if (!(error instanceof MissingInputError)) throw error;
    const names = error.missing.map((m) => m.name);
    throw new ReexecutionError(
      runId,
      names,
      `${
        error.missing.map((m) =>
          `input "${m.name}" is needed by ${list(m.neededBy)}`
        ).join("; ")
      }, and a run's inputs are stored by data version only: pass ${
        names.length === 1 ? "it" : "them"
      } in 'inputs'`,
    );
  }
  const values = await parentValues(runner, parent, reused);
  const runOptions: ExecuteOptions & { [RECOMPUTE]: ReadonlySet<string> } = {
    inputs: options.inputs ?? {},
    overrides: { ...values, ...given },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    [RECOMPUTE]: selected,
  };
  return await storedRun(runner, log, vars, runOptions, "run", {
    parentRunId: runId,
    selected: [...selected],
    reused,
  });
}

// The selected nodes: names, `name+` with what is downstream and `+name`
// with what is upstream, in the parent's plan.
function selection(parent: StoredRun, select: unknown): Set<string> {
  if (
    !Array.isArray(select) || select.length === 0 ||
    select.some((s) => typeof s !== "string")
  ) {
    throw new TypeError(
      `'select' must be a non-empty list of node names: received ${select}`,
    );
  }
  const nodes = new Set(
    parent.plan.nodes.filter((n) => n.kind === "node").map((n) => n.name),
  );
  const after = new Map<string, string[]>();
  const before = new Map<string, string[]>();
  for (const [from, to] of parent.plan.edges) {
    if (!nodes.has(from) || !nodes.has(to)) continue;
    (after.get(from) ?? after.set(from, []).get(from)!).push(to);
    (before.get(to) ?? before.set(to, []).get(to)!).push(from);
  }
  const chosen = new Set<string>();
  const walk = (name: string, next: Map<string, string[]>) => {
    const stack = [name];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (chosen.has(n) && n !== name) continue;
      chosen.add(n);
      stack.push(...next.get(n) ?? []);
    }
  };
  for (const entry of select as string[]) {
    const down = entry.endsWith("+");
    const up = entry.startsWith("+");
    const name = entry.slice(up ? 1 : 0, down ? -1 : undefined);
    if (!nodes.has(name)) {
      throw new TypeError(
        `'select' names "${name}", which is not a node run by run ${parent.id}`,
      );
    }
    chosen.add(name);
    if (down) walk(name, after);
    if (up) walk(name, before);
  }
  return chosen;
}

// The parent's nodes whose values the re-execution takes: those the
// selected nodes consume and the requested ones, not selected themselves.
function reusedNodes(parent: StoredRun, selected: Set<string>): string[] {
  const nodes = new Set(
    parent.plan.nodes.filter((n) => n.kind === "node").map((n) => n.name),
  );
  const reused = new Set<string>();
  for (const [from, to] of parent.plan.edges) {
    if (selected.has(to) && nodes.has(from) && !selected.has(from)) {
      reused.add(from);
    }
  }
  for (const name of parent.finalVars) {
    if (nodes.has(name) && !selected.has(name)) reused.add(name);
  }
  return [...reused];
}

// The parent's values of `reused`, read from the cache's result store by
// the data versions the parent recorded; refused, naming every node, when
// any is not persisted.
async function parentValues(
  runner: Runner,
  parent: StoredRun,
  reused: readonly string[],
): Promise<Record<string, unknown>> {
  if (reused.length === 0) return {};
  const store = runner.cache?.store;
  if (store === undefined) {
    throw new ReexecutionError(
      parent.id,
      reused,
      `the values of ${
        list(reused)
      } come from the cache's result store, and this driver has no cache: build it with withCache({ path })`,
    );
  }
  if (store.keepsReferences === true) {
    throw new ReexecutionError(
      parent.id,
      reused,
      `the values of ${
        list(reused)
      } would come from ${store.constructor.name}, which keeps values in this process's memory only: use a persistent cache store (withCache({ path }))`,
    );
  }
  const records = new Map(
    (await runner.runLog!.store.nodes(parent.id)).map((n) => [n.name, n]),
  );
  const values: Record<string, unknown> = {};
  const problems: [string, string][] = [];
  for (const name of reused) {
    const record = records.get(name);
    const version = record?.dataVersion;
    if (
      record === undefined ||
      (record.status !== "succeeded" && record.status !== "reused")
    ) {
      problems.push([name, `it did not succeed in run ${parent.id}`]);
      continue;
    }
    if (version === undefined || record.cache === undefined) {
      problems.push([name, "the parent run did not cache it"]);
      continue;
    }
    let read;
    try {
      const pending = store.getResult(version);
      read = isThenable(pending) ? await pending : pending;
    } catch (error) {
      problems.push([name, `reading it failed: ${(error as Error).message}`]);
      continue;
    }
    if (!read.found) {
      problems.push([
        name,
        `its value was not stored${read.warning ? ` (${read.warning})` : ""}`,
      ]);
      continue;
    }
    values[name] = read.value;
  }
  if (problems.length > 0) {
    throw new ReexecutionError(
      parent.id,
      problems.map(([name]) => name),
      `the parent's values are not persisted for ${
        problems.map(([name, why]) => `"${name}" (${why})`).join(", ")
      }`,
    );
  }
  return values;
}

const list = (names: readonly string[]) =>
  names.map((n) => `"${n}"`).join(", ");
