// How a result is written: a checksum of the payload (32 hex digits of
// XXH128) followed by the value serialized with node:v8 (structured clone).
// The checksum turns a corrupt or truncated file or row into a detected
// miss, not a wrong value.
import { builtins } from "./_builtins.ts";
import type { Hasher } from "./hasher.ts";
import type { CacheRead } from "./store.ts";

const HEADER = 32;

/** The stored bytes of `value`; throws when it cannot be serialized. */
export function encodeResult(value: unknown, hasher: Hasher): Uint8Array {
  const payload = builtins().v8.serialize(value);
  const sum = hasher.hashBytes(payload);
  const bytes = new Uint8Array(HEADER + payload.byteLength);
  for (let i = 0; i < HEADER; i++) bytes[i] = sum.charCodeAt(i);
  bytes.set(payload, HEADER);
  return bytes;
}

/** Whether `bytes` are whole: long enough, and their checksum agrees. */
export function checksumOk(bytes: Uint8Array, hasher: Hasher): boolean {
  if (bytes.byteLength <= HEADER) return false;
  const sum = hasher.hashBytes(bytes.subarray(HEADER));
  for (let i = 0; i < HEADER; i++) {
    if (bytes[i] !== sum.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The value in `bytes`, or a miss that says what is wrong with them.
 * `checked`: the checksum was found right before, when they were read.
 */
export function decodeResult(
  bytes: Uint8Array,
  hasher: Hasher,
  where: string,
  checked = false,
): CacheRead {
  if (bytes.byteLength <= HEADER) {
    return { found: false, warning: `${where} is truncated` };
  }
  if (!checked && !checksumOk(bytes, hasher)) {
    return { found: false, warning: `${where} is corrupt (checksum mismatch)` };
  }
  const payload = bytes.subarray(HEADER);
  try {
    return { found: true, value: builtins().v8.deserialize(payload) };
  } catch (error) {
    return {
      found: false,
      warning: `${where} cannot be read: ${(error as Error).message}`,
    };
  }
}
