// Functions that always run in the calling thread, whatever the executor:
// what modifiers generate around a node's value (reading a field, listing a
// parallelizable node's items) is cheap plumbing with nothing a worker could
// import, and a nested pipeline's node only hands its inner nodes on. A WeakSet keyed by the function: specs stay plain values.
const LOCAL = new WeakSet<object>();

/** Marks `fn` to run in the calling thread; returns it. */
export function runsLocally<F extends object>(fn: F): F {
  LOCAL.add(fn);
  return fn;
}

/** Whether `fn` was marked to run in the calling thread. */
export function isLocal(fn: object): boolean {
  return LOCAL.has(fn);
}
