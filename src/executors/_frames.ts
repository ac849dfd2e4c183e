// Messages as length-prefixed frames of v8-serialized bytes, for a byte
// stream such as a subprocess's stdin and stdout. V8's serializer keeps what
// structured clone keeps (Map, Set, Date, typed arrays, bigint, cycles).
// Each frame starts with a marker, so bytes that are not a frame (something
// written straight to the stream) are caught at once instead of being read
// as a length. Only node: built-ins: the process entry loads this too.
import type * as V8 from "node:v8";

// node:v8, loaded when the first frame is made or read rather than with
// braid (a restricted runtime such as Deno Deploy may lack it).
let v8: typeof V8 | undefined;
function v8Module(): typeof V8 {
  return v8 ??= (globalThis as {
    process: { getBuiltinModule(id: string): unknown };
  }).process.getBuiltinModule("node:v8") as typeof V8;
}

const MARKER = 0x62726431; // "brd1"
const HEADER = 8; // marker, then the body's length: two big-endian uint32s
const INITIAL = 64 * 1024;
const MAX_KEPT = 1024 * 1024;

/** Bytes that are not a frame: the stream carries something else too. */
export class FrameError extends Error {
  /** Creates the error, describing the bytes found. */
  constructor(message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** `message` as one frame; throws when it cannot be serialized. */
export function encodeFrame(message: unknown): Uint8Array {
  const body = v8Module().serialize(message);
  const frame = new Uint8Array(HEADER + body.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, MARKER);
  view.setUint32(4, body.byteLength);
  frame.set(body, HEADER);
  return frame;
}

/** Reads frames back from the chunks of a byte stream, in order. */
export class FrameDecoder {
  #buffer = new Uint8Array(INITIAL);
  #start = 0;
  #end = 0;

  /**
   * Adds `chunk` and returns the messages it completes. Throws a
   * `FrameError` on bytes that do not start a frame.
   */
  push(chunk: Uint8Array): unknown[] {
    this.#append(chunk);
    const messages: unknown[] = [];
    const buffer = this.#buffer;
    const view = new DataView(buffer.buffer);
    while (this.#end - this.#start >= HEADER) {
      if (view.getUint32(this.#start) !== MARKER) {
        const text = new TextDecoder().decode(
          buffer.subarray(this.#start, Math.min(this.#end, this.#start + 80)),
        );
        throw new FrameError(
          `bytes that are not a frame: ${JSON.stringify(text)}`,
        );
      }
      const bodyStart = this.#start + HEADER;
      const bodyEnd = bodyStart + view.getUint32(this.#start + 4);
      if (this.#end < bodyEnd) break;
      // A copy: the buffer is reused, and values must not be views of it.
      messages.push(v8Module().deserialize(buffer.slice(bodyStart, bodyEnd)));
      this.#start = bodyEnd;
    }
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      // A large message leaves no large buffer behind.
      if (buffer.byteLength > MAX_KEPT) this.#buffer = new Uint8Array(INITIAL);
    }
    return messages;
  }

  #append(chunk: Uint8Array): void {
    if (this.#end + chunk.byteLength > this.#buffer.byteLength) {
      // What is unread moves to the front, of a larger buffer if need be.
      const unread = this.#end - this.#start;
      const needed = unread + chunk.byteLength;
      if (needed > this.#buffer.byteLength) {
        const buffer = new Uint8Array(
          Math.max(needed, 2 * this.#buffer.byteLength),
        );
        buffer.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = buffer;
      } else this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = unread;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.byteLength;
  }
}
