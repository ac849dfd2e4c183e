import TinyQueue from "npm:tinyqueue@3.0.0";

// A binary heap: tinyqueue's, an ES module (a CommonJS package would cost
// every import of braid Deno's CommonJS loader, about 20 ms).
export class Heap<T> {
  readonly #queue: TinyQueue<T>;
  /** An empty heap, least first by `comparator`. */
  constructor(comparator: (a: T, b: T) => number) {
    this.#queue = new TinyQueue<T>([], comparator);
  }
  /** How many items it holds. */
  get size(): number {
    return this.#queue.length;
  }
  /** Adds `item`. */
  push(item: T): void {
    this.#queue.push(item);
  }
  /** Takes the least item out. */
  pop(): T | undefined {
    return this.#queue.pop();
  }
  /** The least item, left in. */
  peek(): T | undefined {
    return this.#queue.peek();
  }
}

/**
 * A min-queue of integers that keeps items pushed in ascending order in a
 * plain array, and only the ones that arrive out of order in a heap. A run's
 * ready nodes mostly arrive in order (a node's dependents are listed by
 * rank), so a fan-out of thousands of nodes costs an append and a read each
 * rather than two heap operations; a map makes one small queue per item.
 */
export class IntQueue {
  // A lone item waits here, so a queue that never holds two allocates
  // nothing; -1 when empty (items are non-negative).
  #single = -1;
  #sorted: number[] | undefined;
  #at = 0;
  #heap: Heap<number> | undefined;

  /** How many items wait. */
  get size(): number {
    if (this.#single >= 0) return 1;
    return (this.#sorted === undefined ? 0 : this.#sorted.length - this.#at) +
      (this.#heap?.size ?? 0);
  }

  /** Adds a non-negative integer. */
  push(item: number): void {
    const single = this.#single;
    if (single >= 0) {
      this.#single = -1;
      this.#append(single);
    } else if (this.size === 0) {
      this.#single = item;
      return;
    }
    this.#append(item);
  }

  #append(item: number): void {
    const sorted = this.#sorted;
    if (sorted === undefined) {
      this.#sorted = [item];
    } else if (this.#at === sorted.length) {
      sorted.length = 0; // drained: start a new ascending run
      this.#at = 0;
      sorted.push(item);
    } else if (item >= sorted[sorted.length - 1]!) {
      sorted.push(item);
    } else {
      (this.#heap ??= new Heap<number>(byNumber)).push(item);
    }
  }

  /** The smallest item, or undefined. */
  peek(): number | undefined {
    if (this.#single >= 0) return this.#single;
    const sorted = this.#sorted;
    const first = sorted !== undefined && this.#at < sorted.length
      ? sorted[this.#at]
      : undefined;
    const top = this.#heap?.peek();
    return top === undefined || (first !== undefined && first <= top)
      ? first
      : top;
  }

  /** Removes and returns the smallest item, or undefined. */
  pop(): number | undefined {
    const single = this.#single;
    if (single >= 0) {
      this.#single = -1;
      return single;
    }
    const sorted = this.#sorted;
    const first = sorted !== undefined && this.#at < sorted.length
      ? sorted[this.#at]
      : undefined;
    const heap = this.#heap;
    if (heap !== undefined && heap.size > 0) {
      if (first === undefined || heap.peek()! < first) return heap.pop();
    }
    if (first !== undefined) this.#at++;
    return first;
  }
}

const byNumber = (a: number, b: number) => a - b;
