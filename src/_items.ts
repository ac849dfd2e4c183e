// Running many items (map items, fan-out block items) under an executor's
// concurrency: one at a time when it is sequential, all at once when it is
// unbounded, at most `concurrency` at a time otherwise.
import pLimit from "p-limit";

const BATCH = 64;
const YIELD_TICKS = 8;

/**
 * Runs `runItem(i)` for every item; resolves when all have, rejects with the
 * first rejection. Items not yet started when `signal` aborts never start.
 */
export function forEachItem(
  count: number,
  concurrency: number,
  signal: AbortSignal,
  runItem: (i: number) => Promise<void>,
): Promise<unknown> {
  if (concurrency === 1) {
    return (async () => {
      for (let i = 0; i < count; i++) {
        if (signal.aborted) return;
        await runItem(i);
      }
    })();
  }
  if (concurrency === Infinity) {
    // Items start in batches (see startAll), so a counter, not Promise.all,
    // tells when the last one is done.
    return new Promise<void>((resolve, reject) => {
      let left = count;
      if (left === 0) return resolve();
      const start = (i: number) =>
        runItem(i).then(() => {
          if (--left === 0) resolve();
        }, reject);
      startAll(count, start, signal).catch(reject);
    });
  }
  const limit = pLimit(concurrency);
  const all: Promise<void>[] = new Array(count);
  for (let i = 0; i < count; i++) {
    all[i] = limit(() => signal.aborted ? undefined : runItem(i));
  }
  return Promise.all(all);
}

// Starts every item without waiting for any to finish, but yields a few
// microtask ticks after each batch: items whose nodes settle at once (cached
// or in-memory work) then finish before the next batch starts, so thousands
// of items never sit half-done on the heap together (which makes the garbage
// collector the bottleneck). Items that wait on I/O keep waiting while the
// next batches start, microseconds later: the run is still unbounded.
async function startAll(
  count: number,
  start: (i: number) => unknown,
  signal: AbortSignal,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (signal.aborted) return;
    start(i);
    if ((i + 1) % BATCH === 0) {
      for (let t = 0; t < YIELD_TICKS; t++) await null;
    }
  }
}
