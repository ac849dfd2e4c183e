// What both sides of the pool's messages agree on: when a buffer goes by
// transfer. No imports: the worker entry script loads this too.

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
