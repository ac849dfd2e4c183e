// What a progress display knows of one run (or map) and how it reads: the
// counts the hooks keep, and the lines drawn from them. Pure: the clock's
// reading is passed in.
import type { GraphShape } from "./_plan_size.ts";

/** Items of a map, a fan-out block or a nested pipeline's map. */
export class ItemCounts {
  /** What the line is labelled. */
  readonly label: string;
  /** When the first of them was announced or finished (ms, shared clock). */
  readonly started: number;
  total = 0;
  done = 0;
  failed = 0;
  /** True once a start event gave the total (else each instance's first item does). */
  announced = false;

  constructor(label: string, started: number) {
    this.label = label;
    this.started = started;
  }
}

/** Node counts kept apart: cache hits, failures, retries. */
export interface Outcomes {
  cached: number;
  /** Failed attempts not started again. */
  failed: number;
  /** Attempts after the first (each undoes the failure before it). */
  retried: number;
}

/** A nested pipeline's nodes, forwarded as `"<node>.<inner node>"`. */
export class NestedCounts implements Outcomes {
  readonly label: string;
  /** Inner node executions that ended (every item's). */
  done = 0;
  cached = 0;
  failed = 0;
  retried = 0;

  constructor(label: string) {
    this.label = label;
  }
}

/** One run's (or map's) progress. */
export class RunProgress implements Outcomes {
  /** The graph it runs, when known: which node names are its own. */
  readonly shape: GraphShape | undefined;
  readonly runId: string;
  readonly kind: "run" | "map";
  readonly label: string;
  readonly started: number;
  /** The nodes the run executes, when the graph is known. */
  readonly total: number | undefined;
  /** The run's own nodes that ended, by name (a block's, once). */
  readonly ended = new Set<string>();
  cached = 0;
  failed = 0;
  retried = 0;
  /** The map's own items (a map only). */
  items: ItemCounts | undefined;
  /** Fan-out blocks and nested maps, by the node that runs them. */
  readonly parts = new Map<string, ItemCounts>();
  /** Nested pipelines, by their node's name. */
  readonly nested = new Map<string, NestedCounts>();
  /** Set when it ended: whether it succeeded, and when. */
  outcome: { readonly success: boolean; readonly at: number } | undefined;
  /** Quiet lines written for it (on a non-terminal). */
  lines = 0;
  /** The last `ctx.log` message or hook error, shown on a line of its own. */
  lastLog: string | undefined;

  constructor(
    runId: string,
    kind: "run" | "map",
    label: string,
    started: number,
    total: number | undefined,
    shape: GraphShape | undefined,
  ) {
    this.shape = shape;
    this.runId = runId;
    this.kind = kind;
    this.label = label;
    this.started = started;
    this.total = total;
  }

  /** The items line of `key` (a block's opener, a nested map's node). */
  part(key: string, label: string, now: number): ItemCounts {
    let part = this.parts.get(key);
    if (part === undefined) {
      this.parts.set(key, part = new ItemCounts(label, now));
    }
    return part;
  }

  /** The nested pipeline `key`'s counts. */
  nestedOf(key: string): NestedCounts {
    let nested = this.nested.get(key);
    if (nested === undefined) {
      this.nested.set(key, nested = new NestedCounts(key));
    }
    return nested;
  }
}

/** The width of a bar, in characters. */
export const BAR_WIDTH = 20;

/** The lines of `run` for a terminal: the run, then its parts, indented. */
export function runLines(run: RunProgress, now: number): string[] {
  return rows(run, now).map(([label, fields], k) =>
    `${k === 0 ? "" : "  "}${label}  ${fields.join(" · ")}`
  );
}

/** One plain line of `run`, for a log that is not a terminal. */
export function runSummary(run: RunProgress, now: number): string {
  return rows(run, now).map(([label, fields]) =>
    `${label}: ${fields.map((f) => f.replace(BAR, "")).join(" · ")}`
  ).join("; ");
}

const BAR = /^\[[█░]+\] /;

// Each line: its label and its fields.
function rows(run: RunProgress, now: number): [string, string[]][] {
  const end = run.outcome?.at ?? now;
  const mark = run.outcome === undefined
    ? "…"
    : run.outcome.success
    ? "✔"
    : "✖";
  const head: string[] = [];
  if (run.kind === "run") {
    const done = run.ended.size;
    head.push(
      run.total === undefined
        ? `${done} nodes`
        : `${bar(done, run.total)} ${done}/${run.total} nodes`,
    );
  } else {
    const items = run.items;
    if (items !== undefined) head.push(...itemFields(items, end));
  }
  // A map's failed nodes are its failed items, counted there.
  head.push(...outcomeFields(run, run.kind === "run"));
  head.push(seconds(end - run.started));
  const lines: [string, string[]][] = [[`${mark} ${run.label}`, head]];
  for (const part of run.parts.values()) {
    lines.push([part.label, itemFields(part, end)]);
  }
  for (const nested of run.nested.values()) {
    const fields = [
      `${nested.done} inner node${nested.done === 1 ? "" : "s"} done`,
    ];
    fields.push(...outcomeFields(nested, true));
    lines.push([`${nested.label} (nested)`, fields]);
  }
  if (run.lastLog !== undefined) lines.push(["log", [run.lastLog]]);
  return lines;
}

function itemFields(items: ItemCounts, now: number): string[] {
  const { done, total } = items;
  const fields = [`${bar(done, total)} ${done}/${total} items`];
  const elapsed = (now - items.started) / 1000;
  if (done > 0 && elapsed > 0) {
    const rate = done / elapsed;
    fields.push(`${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)}/s`);
    if (done < total) {
      fields.push(`ETA ${seconds((total - done) / rate * 1000)}`);
    }
  }
  if (items.failed > 0) fields.push(`${items.failed} failed`);
  return fields;
}

function outcomeFields(counts: Outcomes, failures: boolean): string[] {
  const fields: string[] = [];
  const { cached, failed, retried } = counts;
  if (cached > 0) {
    fields.push(cached === 1 ? "1 cache hit" : `${cached} cache hits`);
  }
  if (retried > 0) {
    fields.push(retried === 1 ? "1 retry" : `${retried} retries`);
  }
  if (failures && failed > 0) fields.push(`${failed} failed`);
  return fields;
}

function bar(done: number, total: number): string {
  const filled = total <= 0
    ? BAR_WIDTH
    : Math.min(BAR_WIDTH, Math.floor(done / total * BAR_WIDTH));
  return `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`;
}

/** `0.4s`, `12s`, `3m05s`. */
export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}
