// Nodes for the worker scenarios: workers import this module.

/**
 * A fixed amount of CPU work: `n` rounds of integer arithmetic. (Not a wait
 * on the clock: a thread that is not running makes no progress, so two
 * threads sharing one core take twice as long.)
 */
function work(n: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

export function cpu_a({ n }: { n: number }): number {
  return work(n);
}

export function cpu_b({ n }: { n: number }): number {
  return work(n);
}

export function tiny({ x }: { x: number }): number {
  return x + 1;
}

/** How many rounds of `work` take about `ms` here. */
export function roundsFor(ms: number): number {
  let n = 100_000;
  for (;;) {
    const t0 = performance.now();
    work(n);
    const took = performance.now() - t0;
    if (took > 50) return Math.round(n * ms / took);
    n *= 2;
  }
}
