/**
 * Code versions: a hash of a node function's source with comments and
 * formatting left out, so that reformatting or commenting a function keeps
 * its cached results, and any other edit invalidates them. Functions that
 * braid's modifiers generate list the user functions and bound values they
 * call (a spec's `codeParts`), and those are hashed too.
 *
 * Helpers called from a body are not seen: bump `cache({ version })` when
 * one changes.
 *
 * @module
 */
import { tokenizer } from "npm:acorn@8.15.0";
import { GeneratedCode } from "../_code.ts";
import { dataVersion } from "./data_version.ts";
import type { Hasher } from "./hasher.ts";

/**
 * A function's source as its tokens joined by single spaces: comments and
 * whitespace between tokens are gone; strings and templates are kept as
 * written. Source the tokenizer cannot read is used with runs of whitespace
 * collapsed.
 */
export function normalizeSource(source: string): string {
  const tokens: string[] = [];
  try {
    for (const token of tokenizer(source, OPTIONS)) {
      tokens.push(source.slice(token.start, token.end));
    }
  } catch {
    return source.replace(/\s+/g, " ").trim();
  }
  return tokens.join(" ");
}

const OPTIONS = {
  ecmaVersion: "latest",
  allowHashBang: true,
  allowReturnOutsideFunction: true,
  allowAwaitOutsideFunction: true,
} as const;

// Computed once per function object, or per generated function and the
// list of what it calls (both are made together, once per spec).
const versions = new WeakMap<object, string>();
const generated = new WeakMap<
  readonly unknown[],
  { readonly fn: object; readonly version: string }
>();
// Bound and native functions all read "function () { [native code] }": each
// gets a version of its own, valid in this process only, never a false hit.
const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

/**
 * The code version of `fn` and, for a function a modifier generated, of
 * what it calls (`parts`, its spec's `codeParts`).
 */
export function codeVersion(
  fn: unknown,
  hasher: Hasher,
  parts?: readonly unknown[],
): string {
  if (fn instanceof GeneratedCode) return codeVersion(fn.fn, hasher, fn.parts);
  if (typeof fn !== "function") return dataVersion(fn, hasher).version;
  const known = parts === undefined ? versions.get(fn) : generated.get(parts);
  if (known !== undefined) {
    if (typeof known === "string") return known;
    if (known.fn === fn) return known.version;
  }
  const source = Function.prototype.toString.call(fn);
  let text = NATIVE.test(source)
    ? `native:${crypto.randomUUID()}`
    : normalizeSource(source);
  if (parts !== undefined) {
    for (const part of parts) text += `\0${codeVersion(part, hasher)}`;
  }
  const version = hasher.hashText(text);
  if (parts === undefined) versions.set(fn, version);
  else generated.set(parts, { fn, version });
  return version;
}
