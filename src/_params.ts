// Reads a function's parameter list with acorn. Only the parameter list is
// parsed: the tokenizer finds where it ends, so a long body costs nothing.
import { parseExpressionAt, tokenizer, tokTypes } from "npm:acorn@8.15.0";
import type { Node as AcornNode, Pattern, TokenType } from "npm:acorn@8.15.0";
import { literalValue } from "./_literal.ts";

/** What a function's parameter list says about its inputs. */
export interface ParsedParams {
  /** "object": one destructured object; "positional": plain parameters. */
  readonly style: "object" | "positional";
  /** Parameter (or destructured key) names in order, `ctx` included. */
  readonly names: readonly string[];
  /** The names that have a default value. */
  readonly optional: ReadonlySet<string>;
  /** The inputs a node made of it takes: the names but `ctx`, in order. */
  readonly inputs: readonly ParsedInput[];
  /** Where `ctx` is among the names, or -1. */
  readonly ctxIndex: number;
}

/** One input of a parsed parameter list. */
export interface ParsedInput {
  /** The parameter's (or destructured key's) name. */
  readonly name: string;
  /** Whether it has a default value. */
  readonly optional: boolean;
  /** Its default, when written as a literal (absent otherwise). */
  readonly defaultValue?: unknown;
}

/** The reserved parameter that receives the run context. */
export const CTX = "ctx";

/** Why a parameter list cannot be read; the caller names the node. */
export class ParamsError extends Error {}

const EMPTY: ReadonlySet<string> = new Set();

// What a parameter list says, worked out once per function: every spec made
// of the function shares its inputs. Nothing here is frozen: freezing costs
// more than the rest of reading a short list, and these objects stay inside
// braid (its public views freeze what they show, see graph.ts).
class Params implements ParsedParams {
  readonly style: "object" | "positional";
  readonly optional: ReadonlySet<string>;
  readonly inputs: readonly ParsedInput[];
  readonly ctxIndex: number;
  constructor(
    style: "object" | "positional",
    optional: ReadonlySet<string>,
    inputs: readonly ParsedInput[],
    ctxIndex: number,
  ) {
    this.style = style;
    this.optional = optional;
    this.inputs = inputs;
    this.ctxIndex = ctxIndex;
  }

  // Rarely read (resolveFromConfig): made from the inputs when asked.
  get names(): readonly string[] {
    const names = this.inputs.map((input) => input.name);
    if (this.ctxIndex >= 0) names.splice(this.ctxIndex, 0, CTX);
    return names;
  }
}

function params(
  style: "object" | "positional",
  names: readonly string[],
  optional: ReadonlySet<string> = EMPTY,
  defaults?: ReadonlyMap<string, unknown>,
): ParsedParams {
  const inputs: ParsedInput[] = [];
  let ctxIndex = -1;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name !== CTX) {
      const input: ParsedInput = {
        name,
        optional: optional !== EMPTY && optional.has(name),
      };
      if (defaults?.has(name)) {
        (input as { defaultValue?: unknown }).defaultValue = defaults.get(name);
      }
      inputs.push(input);
    } else if (ctxIndex < 0) ctxIndex = i;
  }
  return new Params(style, optional, inputs, ctxIndex);
}

const cache = new WeakMap<AnyFunction, ParsedParams>();
const NONE: ParsedParams = params("positional", []);
const OBJECT_NONE: ParsedParams = params("object", []);

/** Parses `fn`'s parameters, caching per function object. */
export function parseParams(fn: AnyFunction): ParsedParams {
  let parsed = cache.get(fn);
  if (parsed === undefined) {
    parsed = parseSource(Function.prototype.toString.call(fn));
    cache.set(fn, parsed);
  }
  return parsed;
}

/** Parses the parameters of a function's source text. */
export function parseSource(source: string): ParsedParams {
  return paramList(source).params();
}

// Parses a parenthesised parameter list that is more than names.
function parseList(text: string): ParsedParams {
  let expr: AcornNode;
  try {
    // An object method: acorn parses its parameters directly (an arrow's
    // list would need reinterpreting), and `super` is allowed in defaults
    // as it is in the methods this source may come from.
    expr = parseExpressionAt(`({m${text}{}})`, 0, OPTIONS);
  } catch (error) {
    throw new ParamsError(
      `its parameter list ${text} cannot be parsed (${
        (error as Error).message
      })`,
    );
  }
  const method = (expr as unknown as {
    properties: { value: { params: Pattern[] } }[];
  }).properties[0]!;
  const params = method.value.params;
  const first = params[0];
  if (params.length === 1 && first !== undefined && isObjectPattern(first)) {
    return objectStyle(first);
  }
  return positionalStyle(params);
}

const OPTIONS = { ecmaVersion: "latest" } as const;

/** A class's source (`class X`, `class {`, `class extends`), not a method named `class(`. */
export const CLASS_SOURCE: RegExp = /^class\s*[^\s(]/;

// Most sources do not start with "c": only those run the pattern.
function isClassSource(source: string): boolean {
  return source.charCodeAt(0) === 99 && CLASS_SOURCE.test(source);
}

// Finds the parenthesised parameter list (or a lone arrow parameter) at the
// start of a function's source, with acorn's tokenizer so that strings,
// comments and template literals in default values cannot confuse it. Lists
// made only of names are read straight from the tokens; anything else
// (defaults, renames, nesting, rest) is parsed by acorn afterwards.
function paramList(source: string): ParamScanner {
  checkSource(source);
  const scanner = new ParamScanner(source);
  try {
    const lexer = lex(source);
    for (lexer.next(); lexer.type !== tokTypes.eof; lexer.next()) {
      if (scanner.feed(lexer)) break;
    }
  } catch {
    // reported below with the source's first line
  }
  if (scanner.found) return scanner;
  const head = source.split("\n", 1)[0]?.slice(0, 80);
  throw new ParamsError(
    `its parameter list cannot be found in its source "${head}" (is it a native or bound function?)`,
  );
}

function checkSource(source: string): void {
  if (isClassSource(source)) {
    throw new ParamsError("it is a class, not a function");
  }
  if (source.endsWith("{ [native code] }")) {
    throw new ParamsError(
      "it is a native or bound function, whose parameters cannot be read; wrap it in a named function",
    );
  }
}

// acorn's tokenizer is its parser, stepped one token at a time: `next()`
// reads the next token into `type`, `start`, `end` and `value` (the fields
// acorn's plugins read). `getToken()` would copy them into a new object per
// token, which costs as much as reading a short token.
interface Lexer {
  next(): void;
  readonly type: TokenType;
  readonly start: number;
  readonly end: number;
  readonly value: unknown;
}

function lex(text: string): Lexer {
  return tokenizer(text, OPTIONS) as unknown as Lexer;
}

// Reads one function's tokens until its parameter list is complete. `text`
// is the string the tokens' offsets refer to.
class ParamScanner {
  /** Whether the list was found and read to its end. */
  found = false;
  #simple: ParsedParams | undefined; // a list of names only, read from tokens
  readonly #text: string;
  #depth = 0;
  #start = -1;
  #end = -1;
  #keyDepth = 0; // inside a computed method key `[...]`
  #previous: unknown = undefined; // the previous token's value, if any
  #hasPrevious = false;
  // The list's tokens between its parentheses: types and values, the
  // first #count of them. (Emptying an array by its length would free its
  // storage, to be allocated again by the next list.)
  readonly #types: TokenType[] = [];
  readonly #values: unknown[] = [];
  #count = 0;

  constructor(text: string) {
    this.#text = text;
  }

  // What the list found says; a list that is more than names is parsed by
  // acorn here (and can throw a ParamsError).
  params(): ParsedParams {
    return this.#simple ?? parseList(this.#text.slice(this.#start, this.#end));
  }

  // Makes the scanner ready for the next function of the same text.
  reset(): void {
    this.found = false;
    this.#simple = undefined;
    this.#depth = 0;
    this.#start = -1;
    this.#keyDepth = 0;
    this.#previous = undefined;
    this.#hasPrevious = false;
    this.#count = 0;
  }

  // Takes the lexer's current token; true once the list is read (or cannot be).
  feed(token: Lexer): boolean {
    const type = token.type;
    if (this.#start < 0) {
      if (type === tokTypes.bracketL) {
        this.#keyDepth++;
      } else if (type === tokTypes.bracketR) {
        this.#keyDepth--;
      } else if (this.#keyDepth > 0) {
        // skip the key's own tokens, parentheses included
      } else if (type === tokTypes.parenL) {
        this.#start = token.start;
        this.#depth = 1;
      } else if (type === tokTypes.arrow && this.#hasPrevious) {
        // `x => ...` or `async x => ...`: a single bare parameter.
        this.#simple = params("positional", [String(this.#previous)]);
        this.found = true;
        return true;
      } else if (type === tokTypes.braceL) {
        return true;
      }
    } else if (type === tokTypes.parenR && --this.#depth === 0) {
      this.#end = token.end;
      this.#simple = simpleList(this.#types, this.#values, this.#count);
      this.found = true;
      return true;
    } else {
      if (type === tokTypes.parenL) this.#depth++;
      this.#types[this.#count] = type;
      this.#values[this.#count++] = token.value;
    }
    this.#previous = token.value;
    this.#hasPrevious = true;
    return false;
  }
}

/**
 * Parses the parameters of many functions with one tokenizer over all their
 * sources, and returns them in the order of `fns`. Setting up acorn costs
 * about a microsecond per call, more than reading a small function's
 * tokens; a module's functions share one setup this way. The results are
 * not put in {@linkcode parseParams}'s cache: the caller keeps them (a
 * module's worth at a time), which is far cheaper than a weak map entry per
 * function. A function whose list cannot be read (a class, a native
 * function, rest parameters) gets `undefined`: `parseParams` reports it.
 */
export function readParams(
  fns: readonly AnyFunction[],
): (ParsedParams | undefined)[] {
  const results = new Array<ParsedParams | undefined>(fns.length);
  // Per source to read, at the same index: its position in fns, where its
  // part of the text starts, where its first token must start, where it
  // ends, and where the token after it must start. Sized once: thousands of
  // functions are read at a time.
  const todo = new Int32Array(fns.length);
  const bases = new Int32Array(fns.length);
  const starts = new Int32Array(fns.length);
  const ends = new Int32Array(fns.length);
  const marks = new Int32Array(fns.length);
  const parts: string[] = [];
  let count = 0;
  let offset = 0;
  for (let f = 0; f < fns.length; f++) {
    const source = Function.prototype.toString.call(fns[f]);
    if (isClassSource(source) || source.endsWith("{ [native code] }")) {
      continue;
    }
    const cut = headEnd(source);
    todo[count] = f;
    bases[count] = offset;
    const open = listStart(source, cut);
    if (open >= 0) {
      // "(list)" then ";": the list alone is an expression statement, and
      // the tokens of keywords and names before it are never read.
      const length = cut - open;
      parts.push(source.slice(open, cut), "\n;\n");
      starts[count] = offset;
      ends[count] = offset + length;
      marks[count] = offset + length + 1;
      offset += length + 3;
    } else {
      // "(head)" then ";": the whole head is read as an expression.
      parts.push("(", source.slice(0, cut), ")\n;\n");
      starts[count] = offset + 1;
      ends[count] = offset + 1 + cut;
      marks[count] = offset + 1 + cut;
      offset += cut + 5;
    }
    count++;
  }
  const text = parts.join("");
  let k = 0;
  while (k < count) k = scanFrom(k);
  // What one pass could not read is read on its own (and gets undefined if
  // even that fails, for parseParams to report).
  for (let t = 0; t < count; t++) {
    const f = todo[t]!;
    if (results[f] !== undefined) continue;
    try {
      results[f] = parseSource(Function.prototype.toString.call(fns[f]));
    } catch (error) {
      if (!(error instanceof ParamsError)) throw error;
    }
  }
  return results;

  // Reads sources k, k + 1, ... with one tokenizer; returns where to go on:
  // past the end, or past a source that went wrong (left to parseParams).
  // The tokenizer guesses whether a "/" starts a regex without parsing, and
  // can guess wrong (`yield /re/` in a generator method); a comment or
  // template opened that way would run on into the next source. So each
  // source must start, and end, exactly where it was put, and its list must
  // be complete; anything else restarts the tokenizer at the next source.
  function scanFrom(first: number): number {
    const base = bases[first]!;
    const input = text.slice(base);
    let k = first;
    const scanner = new ParamScanner(input);
    let fed = false;
    let done = false;
    try {
      const token = lex(input);
      for (token.next(); token.type !== tokTypes.eof; token.next()) {
        const at = token.start + base;
        if (at >= ends[k]!) {
          if (at !== marks[k] || !scanner.found) return k + 1;
          try {
            results[todo[k]!] = scanner.params();
          } catch {
            // left to parseParams, which names the node in its error
          }
          if (++k === count) return k;
          scanner.reset();
          fed = false;
          done = false;
          continue;
        }
        if (at < starts[k]!) continue; // the "(" and ";" between sources
        if (!fed) {
          if (at !== starts[k]) return k + 1;
          fed = true;
        }
        if (!done) done = scanner.feed(token);
      }
    } catch {
      // a source the tokenizer cannot read
    }
    return k + 1;
  }
}

// Where a head's parameter list starts, when everything before its first
// "(" is plain: keywords, a name, "*", "#" and white space (`function f(`,
// `async *m(`, `get x(`, `async (`). Anything else (a comment, a string or
// computed key, a unicode or escaped name, an arrow's bare parameter) could
// hide or precede the list, and gives -1: the whole head is read instead.
function listStart(source: string, cut: number): number {
  const open = source.indexOf("(");
  if (open >= cut) return -1;
  for (let i = 0; i < open; i++) {
    const c = source.charCodeAt(i);
    if (
      !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
        c === 95 || c === 36 || c === 42 || c === 35 || c === 32 || c === 9 ||
        c === 10 || c === 13)
    ) return -1;
  }
  return open;
}

// The start of a function's source, up to its body: only the parameter list
// is wanted, and lexing bodies is most of the work. Cut before the first "{"
// after the first ")", or after the first "=>"; when that falls inside the
// list (a default holding a function or a brace), the list comes out
// incomplete and the function is read whole, on its own.
function headEnd(source: string): number {
  let cut = source.length;
  const arrow = source.indexOf("=>");
  if (arrow >= 0) cut = arrow + 2;
  const close = source.indexOf(")");
  if (close >= 0) {
    const brace = source.indexOf("{", close);
    if (brace >= 0 && brace < cut) cut = brace;
  }
  return cut;
}

/** Any function. */
// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

// `a, b, c` or `{ a, b, c }` (a trailing comma allowed), else undefined:
// the first `count` tokens of the list, between its parentheses.
function simpleList(
  types: readonly TokenType[],
  values: readonly unknown[],
  count: number,
): ParsedParams | undefined {
  let from = 0;
  let to = count;
  const object = count > 0 && types[0] === tokTypes.braceL;
  if (object) {
    if (types[to - 1] !== tokTypes.braceR) return undefined;
    from = 1;
    to--;
  }
  let names = 0;
  let ctxIndex = -1;
  for (let i = from; i < to; i++) {
    if ((i - from) % 2 === 0) {
      if (types[i] !== tokTypes.name) return undefined;
      if (ctxIndex < 0 && values[i] === CTX) ctxIndex = names;
      names++;
    } else if (types[i] !== tokTypes.comma) {
      return undefined;
    }
  }
  if (names === 0) return object ? OBJECT_NONE : NONE;
  // Only what a spec keeps is allocated, at its exact size.
  const inputs = new Array<ParsedInput>(ctxIndex < 0 ? names : names - 1);
  let n = 0;
  for (let i = from; i < to; i += 2) {
    // A name token's value is its name with unicode escapes resolved.
    const name = values[i] as string;
    if (name !== CTX) inputs[n++] = { name, optional: false };
  }
  if (n < inputs.length) inputs.length = n; // ctx named twice
  return new Params(object ? "object" : "positional", EMPTY, inputs, ctxIndex);
}

function isObjectPattern(p: Pattern): boolean {
  return p.type === "ObjectPattern" ||
    (p.type === "AssignmentPattern" && p.left.type === "ObjectPattern");
}

function objectStyle(param: Pattern): ParsedParams {
  const pattern = param.type === "AssignmentPattern" ? param.left : param;
  if (pattern.type !== "ObjectPattern") throw new ParamsError("unreachable");
  const names: string[] = [];
  const optional = new Set<string>();
  const defaults = new Map<string, unknown>();
  for (const prop of pattern.properties) {
    if (prop.type === "RestElement") {
      throw new ParamsError(
        "a rest element (...rest) in its parameter object hides which inputs it needs; list each input by name",
      );
    }
    if (prop.computed) {
      throw new ParamsError(
        "a computed key in its parameter object hides which input it needs; use a plain key",
      );
    }
    const key = prop.key;
    const name = key.type === "Identifier"
      ? key.name
      : key.type === "Literal" && typeof key.value === "string"
      ? key.value
      : undefined;
    if (name === undefined) {
      throw new ParamsError("a parameter key must be a name or a string");
    }
    names.push(name);
    if (prop.value.type === "AssignmentPattern") {
      optional.add(name);
      const literal = literalValue(prop.value.right);
      if (literal !== undefined) defaults.set(name, literal.value);
    }
  }
  return params("object", names, optional, defaults);
}

function positionalStyle(list: Pattern[]): ParsedParams {
  const names: string[] = [];
  const optional = new Set<string>();
  const defaults = new Map<string, unknown>();
  for (const param of list) {
    if (param.type === "Identifier") {
      names.push(param.name);
    } else if (
      param.type === "AssignmentPattern" && param.left.type === "Identifier"
    ) {
      names.push(param.left.name);
      optional.add(param.left.name);
      const literal = literalValue(param.right);
      if (literal !== undefined) defaults.set(param.left.name, literal.value);
    } else if (param.type === "RestElement") {
      throw new ParamsError(
        "rest parameters (...args) hide which inputs it needs; name each input, or declare them with inputs([...])",
      );
    } else {
      throw new ParamsError(
        "destructuring is supported only as the single object parameter ({ a, b }); use plain parameter names",
      );
    }
  }
  return params("positional", names, optional, defaults);
}
