// How a result is written: a checksum of the payload (32 hex digits of
// XXH128) followed by the value serialized with node:v8 (structured clone).
// The checksum turns a corrupt or truncated file into a detected miss, not
// a wrong value.
import { deserialize, serialize } from "node:v8";
import type { Hasher } from "./hasher.ts";
import type { CacheRead } from "./store.ts";

const HEADER = 32;
const ascii = new TextEncoder();
const text = new TextDecoder();

/** The stored bytes of `value`; throws when it cannot be serialized. */
export function encodeResult(value: unknown, hasher: Hasher): Uint8Array {
  const payload = serialize(value);
  hasher.begin();
  hasher.update(payload);
  const bytes = new Uint8Array(HEADER + payload.byteLength);
  bytes.set(ascii.encode(hasher.end()), 0);
  bytes.set(payload, HEADER);
  return bytes;
}

/** The value in `bytes`, or a miss that says what is wrong with them. */
export function decodeResult(
  bytes: Uint8Array,
  hasher: Hasher,
  where: string,
): CacheRead {
  if (bytes.byteLength <= HEADER) {
    return { found: false, warning: `${where} is truncated` };
  }
  const payload = bytes.subarray(HEADER);
  hasher.begin();
  hasher.update(payload);
  if (text.decode(bytes.subarray(0, HEADER)) !== hasher.end()) {
    return { found: false, warning: `${where} is corrupt (checksum mismatch)` };
  }
  try {
    return { found: true, value: deserialize(payload) };
  } catch (error) {
    return {
      found: false,
      warning: `${where} cannot be read: ${(error as Error).message}`,
    };
  }
}
