// Values that may be promises: nodes, hooks and stores may answer either
// way, and a sync answer is used at once rather than a tick later. No
// imports: worker entry scripts load this too.

/** Whether `value` is a promise-like to await. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}

/** `next(value)`, after `value` settles when it is a promise-like. */
export function andThen<T, R>(
  value: T | PromiseLike<T>,
  next: (settled: T) => R,
): R | Promise<Awaited<R>> {
  return isThenable(value)
    ? Promise.resolve(value).then(next) as Promise<Awaited<R>>
    : next(value as T);
}
