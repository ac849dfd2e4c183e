// The clock node hooks, run() and stream() time nodes with. A reading of
// performance.now() costs about 90 ns in Deno (an op), more than a whole
// bare node, and a hooked node wants up to three (its start, its end, the
// event's timestamp). So a reading is kept and shared until something could
// have let time pass:
//
// - a node's own code having run (`elapsed()`, called after each node call
//   and after hooks that returned promises), so a sync node that runs in one
//   stretch with others still gets a real duration;
// - otherwise, two microtask turns after it was taken (a turn more than the
//   stretch itself: a node's end and the start of the node it releases are
//   one promise hop apart, braid's own, and share a reading, so a chain of
//   async nodes reads the clock once per node, not twice).
//
// The resolution this gives: braid's own work between two readings (the
// scheduler, the hooks of one node, other code in those microtask turns) is
// counted to the neighbouring moment, so a node's duration is its own code's
// time give or take braid's bookkeeping around it, and moments taken close
// together (a node's end, the next node's start) share a timestamp.

let reading = 0;
let fresh = false;
// Microtask turns left before the reading expires; whether a countdown job
// is queued (one at a time: a new reading restarts the count).
let turns = 0;
let counting = false;
const SETTLED: Promise<void> = Promise.resolve();

function countdown(): void {
  if (--turns > 0) {
    void SETTLED.then(countdown);
    return;
  }
  fresh = false;
  counting = false;
}

/** `performance.now()`, read again only once the last reading expired (see above). */
export function now(): number {
  if (!fresh) {
    reading = performance.now();
    fresh = true;
    turns = 2;
    if (!counting) {
      counting = true;
      void SETTLED.then(countdown);
    }
  }
  return reading;
}

/** Marks the reading stale: code that may take time (a node's) just ran. */
export function elapsed(): void {
  fresh = false;
}
