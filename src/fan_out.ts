/**
 * Running a fan-out block: the items of its parallelizable node each run the
 * block's per-item plan, handed out by the runner's map executor (one at a
 * time, concurrently up to a limit, or on workers) and run by its node
 * executor. The block's value is one list per member, in item order. The
 * first failing item fails the block, names its item, and stops the items
 * not yet done.
 *
 * @module
 */
import { toItems } from "./modifiers/parallelizable.ts";
import type { BlockPlan, Plan, PlanNode } from "./plan.ts";
import { Run } from "./run.ts";
import { andThen } from "./_thenable.ts";
import { runItemJob } from "./items.ts";

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/** Runs the items of block node `node`; resolves with each member's list. */
export function runBlock(
  node: PlanNode,
  values: readonly unknown[],
  run: Run,
): Promise<unknown[][]> {
  const block = node.block!;
  // The opener's own function already lists its items; an override may be
  // any iterable.
  const items = toItems(
    block.parallelizable,
    values[node.argSlots[block.itemsArg]!],
  );
  return andThen(items, (list) => runItems(node, values, run, list));
}

async function runItems(
  node: PlanNode,
  values: readonly unknown[],
  run: Run,
  items: readonly unknown[],
): Promise<unknown[][]> {
  const block = node.block!;
  const plan = block.plan;
  const count = items.length;
  const lists: unknown[][] = plan.finalVars.map(() => new Array(count));
  const hooks = run.adapters;
  const taskId = run.item === undefined
    ? `${run.runId}/${node.name}`
    : `${run.runId}/${run.item}/${node.name}`;
  if (hooks !== undefined) await taskHooks(node, run, taskId, count);
  if (count === 0) return lists;

  // Everything an item's slots take from outside the block, by seed.
  const seeds = plan.seeds;
  const outer: unknown[] = new Array(seeds.length);
  for (let s = 0; s < seeds.length; s++) {
    const arg = block.seedArgs[s]!;
    if (arg !== block.itemsArg) outer[s] = values[node.argSlots[arg]!];
  }
  // Items stop when the run stops (its ctx signal) or an item fails.
  const runner = run.runner!;
  const submit = hooks?.has("beforeTaskSubmission") === true;
  await runItemJob({
    runner,
    plan,
    runId: run.runId,
    count,
    hooks,
    nodeName: block.parallelizable,
    parent: run.context(node).signal,
    collect: false,
    async run(i, part, signal) {
      if (submit) {
        await hooks!.call("beforeTaskSubmission", {
          runId: run.runId,
          nodeName: block.parallelizable,
          taskId: `${taskId}/${i}`,
          index: i,
          nodes: plan.nodes.map((n) => n.name),
        });
      }
      const slots: unknown[] = new Array(plan.size);
      for (let s = 0; s < seeds.length; s++) {
        slots[seeds[s]!.slot] = block.seedArgs[s] === block.itemsArg
          ? items[i]
          : outer[s];
      }
      const itemRun = new Run({
        runId: run.runId,
        plan,
        values: slots,
        signal,
        hooks,
        onLog: run.onLog,
        item: i,
        runner,
        cache: run.cache?.forItem(plan, slots, i),
        onFailure: run.onFailure,
        onStop: part.onStop,
      });
      return await runner.schedule(itemRun, part.lanes);
    },
    done(i, values) {
      const outputs = plan.outputSlots;
      for (let m = 0; m < outputs.length; m++) {
        lists[m]![i] = values[outputs[m]!];
      }
    },
    // Whole items may run elsewhere only when nothing here must see their
    // nodes (adapters, the cache).
    ...((hooks?.adapters.length ?? 0) > 0 || run.cache !== undefined ? {} : {
      remote: {
        items: () => items.map((item) => inputsOf(plan, block, item, outer)),
        overrides: EMPTY,
        done(i: number, outputs: Record<string, unknown>) {
          const names = plan.finalVars;
          for (let m = 0; m < names.length; m++) {
            lists[m]![i] = outputs[names[m]!];
          }
        },
      },
    }),
    stopped: () => run.halted(),
  });
  return lists;
}

// One item's inputs by name: the item under the parallelizable node's name,
// and what the block takes from outside.
function inputsOf(
  plan: Plan,
  block: BlockPlan,
  item: unknown,
  outer: readonly unknown[],
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  plan.seeds.forEach((seed, s) => {
    inputs[seed.name] = block.seedArgs[s] === block.itemsArg ? item : outer[s];
  });
  return inputs;
}

async function taskHooks(
  node: PlanNode,
  run: Run,
  taskId: string,
  count: number,
): Promise<void> {
  const hooks = run.adapters!;
  const expand = hooks.has("afterTaskExpand");
  const group = hooks.has("afterTaskGroup");
  if (!expand && !group) return;
  const block = node.block!;
  const indices = Array.from({ length: count }, (_, i) => i);
  const event = {
    runId: run.runId,
    nodeName: block.parallelizable,
    taskId,
    indices,
    ...(run.item === undefined ? {} : { item: run.item }),
  };
  if (expand) await hooks.call("afterTaskExpand", event);
  if (group) {
    await hooks.call("afterTaskGroup", {
      ...event,
      taskIds: indices.map((i) => `${taskId}/${i}`),
      nodes: block.plan.nodes.map((n) => n.name),
    });
  }
}
