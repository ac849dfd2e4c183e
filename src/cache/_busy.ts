// Switching a new SQLite database to WAL needs it alone for a moment, and
// SQLite does not always wait for that: when two connections upgrade their
// locks at once, one is told "database is locked" at once, whatever the busy
// timeout (waiting could deadlock). Two processes that open a new cache
// together meet this; the one told tries again.

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `work`, again after 1, 2, 4... ms (at most 50) while it throws
 * "database is locked", until `timeoutMs` have passed. The waits block:
 * the store opens synchronously.
 */
export function whileBusy<T>(work: () => T, timeoutMs: number): T {
  const until = Date.now() + timeoutMs;
  for (let pause = 1;; pause = Math.min(2 * pause, 50)) {
    try {
      return work();
    } catch (error) {
      const busy = error instanceof Error &&
        error.message.includes("database is locked");
      if (!busy || Date.now() >= until) throw error;
      Atomics.wait(PAUSE, 0, 0, pause);
    }
  }
}
