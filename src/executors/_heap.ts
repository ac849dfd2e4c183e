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
