import HeapModule from "mnemonist/heap";

// mnemonist's heap is CommonJS whose typings describe an ES default export;
// this is the part of its real shape we use.
export interface Heap<T> {
  readonly size: number;
  push(item: T): number;
  pop(): T | undefined;
  peek(): T | undefined;
}
export const Heap = HeapModule as unknown as new <T>(
  comparator: (a: T, b: T) => number,
) => Heap<T>;

/** A queue of ready node indices that pops the node of lowest rank first. */
export function readyQueue(
  nodes: readonly { readonly rank: number }[],
): Heap<number> {
  return new Heap<number>((a, b) => nodes[a]!.rank - nodes[b]!.rank);
}
