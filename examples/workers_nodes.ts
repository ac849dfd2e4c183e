// CPU-bound nodes for examples/workers.ts. Workers import this module and
// call its exports, so the nodes live in a module file of their own.

function primesBelow(limit: number): number {
  const sieve = new Uint8Array(limit);
  let count = 0;
  for (let i = 2; i < limit; i++) {
    if (sieve[i] === 1) continue;
    count++;
    for (let j = i * i; j < limit; j += i) sieve[j] = 1;
  }
  return count;
}

/** Primes below `n`: one CPU-bound task. */
export function primes_low({ n }: { n: number }): number {
  return primesBelow(n);
}

/** Primes below `2n`: another, independent of the first. */
export function primes_high({ n }: { n: number }): number {
  return primesBelow(2 * n);
}

/** Combines both: runs once both are done. */
export function report(
  { primes_low, primes_high }: { primes_low: number; primes_high: number },
): string {
  return `${primes_low} primes below n, ${primes_high} below 2n`;
}

/** Primes below `n`, for a map over many `n`. */
export function primes({ n }: { n: number }): number {
  return primesBelow(n);
}
