/**
 * The nodes behind `serve.ts`: a little geometry on two numbers `x` and `y`,
 * with an optional `scale`. `hypot` is async and waits on a timer, so
 * concurrent requests really overlap.
 *
 * @module
 */
import type { RunContext } from "../mod.ts";

/** How long `hypot` waits, in milliseconds. */
export const _DELAY_MS = 20;

/** x + y. */
export function sum({ x, y }: { x: number; y: number }): number {
  return x + y;
}

/** x · y. */
export function product({ x, y }: { x: number; y: number }): number {
  return x * y;
}

/** √(x² + y²), after a short wait that stops when the run is cancelled. */
export async function hypot(
  { x, y, ctx }: { x: number; y: number; ctx: RunContext },
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    };
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve();
    }, _DELAY_MS);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
  return Math.hypot(x, y);
}

/** hypot × scale (scale defaults to 1). */
export function scaled(
  { hypot, scale = 1 }: { hypot: number; scale?: number },
): number {
  return hypot * scale;
}

/** x / y; a zero `y` is the caller's mistake. */
export function ratio({ x, y }: { x: number; y: number }): number {
  if (y === 0) throw new RangeError("y must not be 0 to compute ratio");
  return x / y;
}
