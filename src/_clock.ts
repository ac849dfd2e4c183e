// The clock node hooks, run() and stream() time nodes with. A reading of
// performance.now() costs about 90 ns in Deno (an op), more than a whole
// bare node, and a hooked node wants up to three (its start, its end, the
// event's timestamp). So a reading is kept and shared until something could
// have let time pass:
//
// - the end of the synchronous stretch it was taken in (the next microtask
//   turn), and
// - a node's own code having run (`elapsed()`, called after each node call),
//   so a sync node that runs in one stretch with others still gets a real
//   duration.
//
// The resolution this gives: braid's own work between two readings (the
// scheduler, the hooks of one node, other code in the same microtask) is
// counted to the neighbouring moment, so a node's duration is its own code's
// time give or take braid's bookkeeping around it, and moments taken in one
// stretch (a node's end, the next node's start) share a timestamp.

let reading = 0;
let fresh = false;
let expiring = false;
const SETTLED: Promise<void> = Promise.resolve();

function expire(): void {
  fresh = false;
  expiring = false;
}

/** `performance.now()`, read at most once per stretch (see above). */
export function now(): number {
  if (!fresh) {
    reading = performance.now();
    fresh = true;
    if (!expiring) {
      expiring = true;
      void SETTLED.then(expire);
    }
  }
  return reading;
}

/** Marks the reading stale: code that may take time (a node's) just ran. */
export function elapsed(): void {
  fresh = false;
}
