// Taking a slot of a pool for one call: at once when one is free, else in
// line, where a run that stops meanwhile withdraws the request (and a slot
// granted after the run stopped goes back). Shared by the worker pool's
// and the process pool's executors.
import type { Call } from "../_executor_call.ts";
import type { PlanNode } from "../plan.ts";

/** A pool that leases slots, as both pools do. */
export interface Leasing<L extends { release(): void }> {
  /** A free slot now, or undefined (also while others wait in line). */
  tryAcquire(): L | undefined;
  /** A slot once one is free; `cancel()` withdraws the request. */
  acquire(): { readonly promise: Promise<L>; cancel(): void };
}

/** A slot of `pool` for `call`; rejects with the run's stop if it stops first. */
export async function leaseFor<L extends { release(): void }>(
  pool: Leasing<L>,
  call: Call,
): Promise<L> {
  const free = pool.tryAcquire();
  if (free !== undefined) return free;
  const request = pool.acquire();
  call.onAbort = () => request.cancel();
  let lease: L;
  try {
    lease = await request.promise;
  } finally {
    call.onAbort = undefined;
  }
  const stopped = call.run.halted();
  if (stopped !== undefined) {
    lease.release();
    throw stopped;
  }
  return lease;
}

/**
 * Runs `call` on a slot of `pool`: `send` carries the node's call to the
 * slot. The slot goes back however the call ends, also when a hook answered
 * without calling the node (releasing twice is harmless).
 */
export async function invokeLeased<L extends { release(): void }>(
  pool: Leasing<L>,
  call: Call,
  send: (node: PlanNode, values: unknown[], lease: L) => unknown,
): Promise<unknown> {
  const lease = await leaseFor(pool, call);
  try {
    return await call.run.invoke(
      call.node,
      (node, values) => send(node, values, lease),
    );
  } finally {
    lease.release();
  }
}
