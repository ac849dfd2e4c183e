/**
 * Stable hashes of what makes drivers differ: a plan signature (the built
 * graph's node names, edges and code) and a fingerprint (that, plus the
 * config and how nodes run). A driver factory keys its drivers by the
 * fingerprint. SHA-256 from `node:crypto`: synchronous, and in every Deno
 * runtime, Deploy included.
 *
 * @module
 */
import type * as NodeCrypto from "node:crypto";
import { GeneratedCode } from "./_code.ts";
import { normalizeSource } from "./cache/code_version.ts";
import type { Graph } from "./graph.ts";
import type { NodeSpec } from "./node.ts";

// node:crypto is loaded when a signature is first made, not with braid:
// importing it costs about 18 ms at start-up, and a driver makes a
// signature only when asked. `process.getBuiltinModule` (Node's, which Deno
// provides) loads a built-in synchronously, as the getters need.
let nodeCrypto: typeof NodeCrypto | undefined;
function createHash(algorithm: string): NodeCrypto.Hash {
  nodeCrypto ??= (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process.getBuiltinModule("node:crypto") as typeof NodeCrypto;
  return nodeCrypto.createHash(algorithm);
}

// How deep `canonical` goes into a value before it stops.
const DEPTH = 8;

// A function's code as text, made once per function (tokenizing a source
// costs more than the rest of a fingerprint).
const codeTexts = new WeakMap<object, string>();

function codeText(fn: unknown, parts?: readonly unknown[]): string {
  if (fn instanceof GeneratedCode) return codeText(fn.fn, fn.parts);
  if (typeof fn !== "function") return canonical(fn);
  let text = codeTexts.get(fn);
  if (text === undefined) {
    text = normalizeSource(Function.prototype.toString.call(fn));
    codeTexts.set(fn, text);
  }
  if (parts === undefined) return text;
  return `${text}(${parts.map((part) => codeText(part)).join(",")})`;
}

/** The code of `spec`'s function, with what it calls. */
function specCode(spec: NodeSpec): string {
  return codeText(spec.fn, spec.codeParts) +
    (spec.cache?.version === undefined ? "" : `#${spec.cache.version}`);
}

/**
 * A stable text for `value`: the same for equal values across processes,
 * keys sorted, functions by their code, cycles and depth cut short.
 */
export function canonical(value: unknown): string {
  return write(value, DEPTH, new Set());
}

function write(value: unknown, depth: number, seen: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
    case "boolean":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "symbol":
      return value.toString();
    case "function":
      return `fn:${codeText(value)}`;
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) return "[cycle]";
  if (depth === 0) return "[deep]";
  seen.add(object);
  try {
    const inner = (v: unknown) => write(v, depth - 1, seen);
    if (Array.isArray(object)) return `[${object.map(inner).join(",")}]`;
    if (object instanceof Date) return `Date(${object.toISOString()})`;
    if (object instanceof RegExp) return object.toString();
    if (ArrayBuffer.isView(object)) {
      const bytes = new Uint8Array(
        object.buffer,
        object.byteOffset,
        object.byteLength,
      );
      const digest = createHash("sha256").update(bytes).digest("hex");
      return `${object.constructor.name}(${digest})`;
    }
    if (object instanceof Map) {
      return `Map{${
        [...object].map(([k, v]) => `${inner(k)}:${inner(v)}`).sort().join(",")
      }}`;
    }
    if (object instanceof Set) {
      return `Set{${[...object].map(inner).sort().join(",")}}`;
    }
    const kind = object.constructor?.name ?? "";
    const entries = Object.keys(object).sort().map((key) =>
      `${JSON.stringify(key)}:${
        inner((object as Record<string, unknown>)[key])
      }`
    );
    return `${kind === "Object" ? "" : kind}{${entries.join(",")}}`;
  } finally {
    seen.delete(object);
  }
}

const signatures = new WeakMap<Graph, string>();

/**
 * The plan signature of `graph`: a hash of its node names, each node's
 * inputs (its edges) and code. Config that selects other variants changes
 * it; config that only feeds values does not.
 */
export function planSignature(graph: Graph): string {
  let signature = signatures.get(graph);
  if (signature === undefined) {
    const hash = createHash("sha256");
    for (const name of [...graph.specs.keys()].sort()) {
      const spec = graph.specs.get(name)!;
      const inputs = spec.inputs.map((i) => i.optional ? `${i.name}?` : i.name);
      hash.update(`${name}\0${inputs.join(",")}\0${specCode(spec)}\n`);
    }
    signature = hash.digest("hex");
    signatures.set(graph, signature);
  }
  return signature;
}

/** The fingerprint of a driver: `settings` (canonical) and the plan signature. */
export function fingerprint(settings: unknown, graph: Graph): string {
  return createHash("sha256")
    .update(canonical(settings))
    .update("\0")
    .update(planSignature(graph))
    .digest("hex");
}
