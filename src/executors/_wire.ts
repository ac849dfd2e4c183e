// What both sides of the pool's messages agree on: when a buffer goes by
// transfer, and how to tell an awaitable. No imports: the worker entry
// script loads this too.

/** Buffers smaller than this are copied: a transfer costs more. */
export const TRANSFER_BYTES = 64 * 1024;

/** The buffer under an `ArrayBuffer` or a view of one, if `value` is either. */
export function bufferOf(value: unknown): ArrayBuffer | undefined {
  return value instanceof ArrayBuffer
    ? value
    : ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer
    ? value.buffer
    : undefined;
}

/** Whether `value` is a promise-like to await. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function";
}
