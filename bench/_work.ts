// Nodes for the worker scenarios: workers import this module.

/** Busy-waits `ms` milliseconds: CPU-bound work that holds its thread. */
function spin(ms: number): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n > 0 ? ms : 0;
}

export function cpu_a({ ms }: { ms: number }): number {
  return spin(ms);
}

export function cpu_b({ ms }: { ms: number }): number {
  return spin(ms);
}

export function tiny({ x }: { x: number }): number {
  return x + 1;
}
