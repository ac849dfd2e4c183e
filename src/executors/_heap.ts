import HeapModule from "mnemonist/heap";

// mnemonist's heap is CommonJS whose typings describe an ES default export;
// this is the part of its real shape we use.
export interface Heap<T> {
  readonly size: number;
  push(item: T): number;
  pop(): T | undefined;
}
export const Heap = HeapModule as unknown as new <T>(
  comparator: (a: T, b: T) => number,
) => Heap<T>;

/**
 * A queue of ready node indices that pops the node with the longest
 * remaining path first, and the earlier node of the plan on a tie.
 */
export function readyQueue(
  nodes: readonly { readonly priority: number }[],
): Heap<number> {
  return new Heap<number>((a, b) =>
    nodes[b]!.priority - nodes[a]!.priority || a - b
  );
}
