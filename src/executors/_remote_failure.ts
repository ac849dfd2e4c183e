// How a node's error thrown in a worker comes back: rebuilt from what
// crossed (name, message, stack), with where in a chunk it was thrown.
import type { SentError } from "./_protocol.ts";

const BUILTIN_ERRORS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** A node that threw in a worker: its error, rebuilt, and where it was. */
export class RemoteFailure {
  /** The error the node threw (name, message and stack kept). */
  readonly error: Error;
  /** For chunks: the failing item of the map. */
  readonly item: number | undefined;
  /** For chunks: the failing node's index in the plan. */
  readonly node: number | undefined;
  constructor(sent: SentError, item?: number, node?: number) {
    // Built-in error classes come back as themselves (a TypeError stays
    // one); others as an Error that keeps their name.
    const Builtin = Object.hasOwn(BUILTIN_ERRORS, sent.name)
      ? BUILTIN_ERRORS[sent.name]
      : undefined;
    const error = Builtin === undefined
      ? new Error(sent.message)
      : new Builtin(sent.message);
    error.name = sent.name;
    if (sent.stack !== undefined) error.stack = sent.stack;
    this.error = error;
    this.item = item;
    this.node = node;
  }
}
