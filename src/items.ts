/**
 * The item loop: what `map()`, `Pipeline.map`, nested `mapOver` and fan-out
 * blocks share. Items go to the runner's map executor (one at a time,
 * concurrently up to a limit, on workers, or whole items in chunks); each
 * item's nodes go to the scheduler. One controller stops them all: the
 * caller's signal, or the first failure unless errors are collected, and
 * then no item starts any more, not even one already batched.
 *
 * @module
 */
import type { Executor } from "./executors/executor.ts";
import type { Hooks, MapItemEvent } from "./hooks.ts";
import type { Plan } from "./plan.ts";
import type { Runner, RunPart } from "./runner.ts";
import { soleLane } from "./scheduler.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One set of items to run. */
export interface ItemJob {
  /** The runner: its map executor hands out the items. */
  readonly runner: Runner;
  /** What every item runs. */
  readonly plan: Plan;
  /** The run the items belong to. */
  readonly runId: string;
  /** How many items there are. */
  readonly count: number;
  /** The hooks that hear of each item's end (`afterMapItem`). */
  readonly hooks: Hooks | undefined;
  /** The node the items run for, in progress events (a block's opener). */
  readonly nodeName?: string | undefined;
  /** Stops every item when it aborts (the caller's, or the run's). */
  readonly parent: AbortSignal | undefined;
  /** Whether a failed item is an outcome (`true`) or stops the rest. */
  readonly collect: boolean;
  /**
   * Runs item `i` (its run takes `part` and watches `signal`); resolves
   * with its value slots.
   */
  run(i: number, part: RunPart, signal: AbortSignal): Promise<unknown[]>;
  /** Records item `i`'s value slots. */
  done(i: number, values: unknown[]): void;
  /** Records item `i`'s failure, when failures are collected. */
  failed?(i: number, error: unknown): void;
  /**
   * Present when whole items may run elsewhere (no adapter, no cache and
   * no collected outcome needs to see them here).
   */
  readonly remote?: {
    /** Each item's inputs by name. */
    items(): readonly Readonly<Record<string, unknown>>[];
    /** Overrides every item shares. */
    readonly overrides: Readonly<Record<string, unknown>>;
    /** Records item `i`'s outputs, by the plan's final vars. */
    done(i: number, outputs: Record<string, unknown>): void;
  };
  /** Why the items stopped, when the parent aborted. */
  stopped?(): Error | undefined;
  /** A reader's backpressure (see `MapJob.ready`). */
  readonly ready?: (() => Promise<void> | undefined) | undefined;
}

/** Runs every item of `job`; rejects with the first failure unless collecting. */
export async function runItemJob(job: ItemJob): Promise<void> {
  const { runner, plan, runId, count, hooks, collect } = job;
  // One controller for all items: items poll it, only the job as a whole
  // listens (one listener per map, not one per item).
  const stop = new AbortController();
  const signal = job.parent === undefined
    ? stop.signal
    : AbortSignal.any([job.parent, stop.signal]);
  const failed = (error: unknown) => {
    stop.abort(error);
    throw error;
  };
  // What every item's run shares; a map executor's own node executor gets
  // a part of its own. Raising, an item's failure stops the others before
  // its promise settles: none starts meanwhile.
  const part: RunPart = {
    watch: false,
    onStop: collect ? undefined : (error: Error) => stop.abort(error),
  };
  const parts = new Map<Executor, RunPart>();
  const partOn = (executor: Executor | undefined): RunPart => {
    if (executor === undefined) return part;
    let found = parts.get(executor);
    if (found === undefined) {
      parts.set(executor, found = { ...part, lanes: soleLane(executor) });
    }
    return found;
  };
  const progress = hooks?.has("afterMapItem") === true;
  let done = 0;
  const runItem = !collect && !progress
    ? (i: number, executor?: Executor): Promise<void> =>
      job.run(i, partOn(executor), signal).then(
        (values) => job.done(i, values),
        failed,
      )
    : (i: number, executor?: Executor): Promise<void> =>
      job.run(i, partOn(executor), signal).then(
        (values) => itemEnded(i, true, values),
        (error) => itemEnded(i, false, error),
      );
  // An item's end (`outcome`: its value slots, or what it threw): recorded,
  // then told to `afterMapItem`, with no promise of braid's own when every
  // hook is sync.
  const itemEnded = (
    i: number,
    ok: boolean,
    outcome: unknown,
  ): void | Promise<void> => {
    if (ok) job.done(i, outcome as unknown[]);
    else {
      // Once the items have stopped, those cut short are not progress (the
      // item whose failure stopped them is).
      if (!collect && signal.aborted && signal.reason !== outcome) {
        throw outcome;
      }
      if (!collect) stop.abort(outcome);
      job.failed?.(i, outcome);
    }
    done++;
    if (progress) {
      const event: Mutable<MapItemEvent> = {
        runId,
        item: i,
        done,
        total: count,
        success: ok,
      };
      if (job.nodeName !== undefined) event.nodeName = job.nodeName;
      if (!ok) event.error = outcome;
      let pending: Promise<void> | undefined;
      try {
        pending = hooks!.dispatch("afterMapItem", event);
      } catch (error) {
        failed(error);
      }
      if (pending !== undefined) {
        return pending.then(() => {
          if (!ok && !collect) throw outcome;
        }, failed);
      }
    }
    if (!ok && !collect) throw outcome;
  };
  const remote = job.remote;
  try {
    await runner.mapExecutor.runItems({
      count,
      // Each item's inputs, made only for map executors that ship items.
      get items() {
        return remote === undefined ? [] : remote.items();
      },
      plan,
      runItem,
      signal,
      ...(job.ready === undefined ? {} : { ready: job.ready }),
      ...(remote === undefined ? {} : {
        remote: {
          runner,
          runId,
          overrides: remote.overrides,
          done: remote.done,
        },
      }),
    });
  } catch (error) {
    stop.abort(error);
    throw error;
  }
  // Items that never started (the parent stopped them) leave holes: never
  // hand out partial results as if they were whole.
  if (signal.aborted) throw job.stopped?.() ?? signal.reason;
}
