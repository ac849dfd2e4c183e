// Timer delays given as options (timeouts, idle times): checked once, and
// raced against promises without leaving a timer behind.

/** The longest delay `setTimeout` keeps: past it, a timer fires after 1 ms. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Checks the delay option `name`: a number up to {@linkcode MAX_DELAY_MS}
 * (positive, or with `positive` false also 0), or `Infinity` for none,
 * returned as `undefined`. Never a longer delay: `setTimeout` would fire it
 * after 1 ms.
 */
export function delayOption(
  name: string,
  value: number,
  positive: boolean,
): number | undefined {
  if (value === Infinity) return undefined;
  if (typeof value !== "number" || !(positive ? value > 0 : value >= 0)) {
    throw new RangeError(
      `'${name}' must be a ${
        positive ? "positive" : "non-negative"
      } number: received ${value}`,
    );
  }
  if (value > MAX_DELAY_MS) {
    throw new RangeError(
      `'${name}' must be at most ${MAX_DELAY_MS} ms (2^31-1), or Infinity for none: received ${value}`,
    );
  }
  return value;
}

/**
 * `promise`, or a rejection with `expired()` if it has not settled within
 * `ms`. The timer is cleared as soon as the promise settles.
 */
export function within<T>(
  promise: PromiseLike<T>,
  ms: number,
  expired: () => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(expired()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
