// Reads a function's parameter list with acorn. Only the parameter list is
// parsed: the tokenizer finds where it ends, so a long body costs nothing.
import { parseExpressionAt, tokenizer, tokTypes } from "acorn";
import type { Node as AcornNode, Pattern, Token } from "acorn";

/** What a function's parameter list says about its inputs. */
export interface ParsedParams {
  /** "object": one destructured object; "positional": plain parameters. */
  readonly style: "object" | "positional";
  /** Parameter (or destructured key) names in order, `ctx` included. */
  readonly names: readonly string[];
  /** The names that have a default value. */
  readonly optional: ReadonlySet<string>;
}

/** Why a parameter list cannot be read; the caller names the node. */
export class ParamsError extends Error {}

const cache = new WeakMap<AnyFunction, ParsedParams>();
const NONE: ParsedParams = Object.freeze({
  style: "positional",
  names: [],
  optional: new Set<string>(),
});

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
  const list = paramList(source);
  return list.simple ?? parseList(list.text);
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

interface ParamList {
  /** The parenthesised parameter list, as written. */
  readonly text: string;
  /** Set when the list is only names (`(a, b)` or `({ a, b })`): no parse needed. */
  readonly simple: ParsedParams | undefined;
}

// Finds the parenthesised parameter list (or a lone arrow parameter) at the
// start of a function's source, with acorn's tokenizer so that strings,
// comments and template literals in default values cannot confuse it. Lists
// made only of names are read straight from the tokens; anything else
// (defaults, renames, nesting, rest) is parsed by acorn afterwards.
function paramList(source: string): ParamList {
  checkSource(source);
  const scanner = new ParamScanner(source);
  try {
    for (const token of tokenizer(source, OPTIONS)) {
      if (scanner.feed(token)) break;
    }
  } catch {
    // reported below with the source's first line
  }
  if (scanner.result !== undefined) return scanner.result;
  const head = source.split("\n", 1)[0]?.slice(0, 80);
  throw new ParamsError(
    `its parameter list cannot be found in its source "${head}" (is it a native or bound function?)`,
  );
}

function checkSource(source: string): void {
  if (CLASS_SOURCE.test(source)) {
    throw new ParamsError("it is a class, not a function");
  }
  if (source.endsWith("{ [native code] }")) {
    throw new ParamsError(
      "it is a native or bound function, whose parameters cannot be read; wrap it in a named function",
    );
  }
}

// Reads one function's tokens until its parameter list is complete. `text`
// is the string the tokens' offsets refer to.
class ParamScanner {
  result: ParamList | undefined;
  readonly #text: string;
  #depth = 0;
  #start = -1;
  #keyDepth = 0; // inside a computed method key `[...]`
  #previous: Token | undefined;
  readonly #inner: Token[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  // Makes the scanner ready for the next function of the same text.
  reset(): void {
    this.result = undefined;
    this.#depth = 0;
    this.#start = -1;
    this.#keyDepth = 0;
    this.#previous = undefined;
    this.#inner.length = 0;
  }

  // Takes the next token; true once the list is read (or cannot be).
  feed(token: Token): boolean {
    if (this.#start < 0) {
      if (token.type === tokTypes.bracketL) {
        this.#keyDepth++;
      } else if (token.type === tokTypes.bracketR) {
        this.#keyDepth--;
      } else if (this.#keyDepth > 0) {
        // skip the key's own tokens, parentheses included
      } else if (token.type === tokTypes.parenL) {
        this.#start = token.start;
        this.#depth = 1;
      } else if (
        token.type === tokTypes.arrow && this.#previous !== undefined
      ) {
        // `x => ...` or `async x => ...`: a single bare parameter.
        const previous = this.#previous;
        this.result = {
          text: `(${this.#text.slice(previous.start, previous.end)})`,
          simple: positional([nameOf(previous)]),
        };
        return true;
      } else if (token.type === tokTypes.braceL) {
        return true;
      }
    } else if (token.type === tokTypes.parenR && --this.#depth === 0) {
      this.result = {
        text: this.#text.slice(this.#start, token.end),
        simple: simpleList(this.#inner),
      };
      return true;
    } else {
      if (token.type === tokTypes.parenL) this.#depth++;
      this.#inner.push(token);
    }
    this.#previous = token;
    return false;
  }
}

/**
 * Parses the parameters of many functions with one tokenizer over all their
 * sources, and caches the results for {@linkcode parseParams}. Setting up
 * acorn costs about a microsecond per call, more than reading a small
 * function's tokens; a module's functions share one setup this way.
 * Functions it cannot read are left to `parseParams`, which reports them.
 */
export function primeParams(fns: readonly AnyFunction[]): void {
  const todo: AnyFunction[] = [];
  const parts: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  let offset = 0;
  for (const fn of fns) {
    if (cache.has(fn)) continue;
    const source = Function.prototype.toString.call(fn);
    if (CLASS_SOURCE.test(source) || source.endsWith("{ [native code] }")) {
      continue;
    }
    const head = headOf(source);
    todo.push(fn);
    // "(head)" then ";": each source is read as an expression statement.
    parts.push(`(${head})\n;\n`);
    starts.push(offset + 1);
    ends.push(offset + 1 + head.length);
    offset += head.length + 5;
  }
  if (todo.length < 2) return;
  const text = parts.join("");
  let k = 0;
  while (k < todo.length) k = scanFrom(k);

  // Reads sources k, k + 1, ... with one tokenizer; returns where to go on:
  // past the end, or past a source that went wrong (left to parseParams).
  // The tokenizer guesses whether a "/" starts a regex without parsing, and
  // can guess wrong (`yield /re/` in a generator method); a comment or
  // template opened that way would run on into the next source. So each
  // source must start, and end, exactly where it was put, and its list must
  // be complete; anything else restarts the tokenizer at the next source.
  function scanFrom(first: number): number {
    const base = starts[first]! - 1;
    const input = text.slice(base);
    let k = first;
    const scanner = new ParamScanner(input);
    let fed = false;
    let done = false;
    try {
      for (const token of tokenizer(input, OPTIONS)) {
        const at = token.start + base;
        if (at >= ends[k]!) {
          const list = scanner.result;
          if (at !== ends[k] || list === undefined) return k + 1;
          try {
            cache.set(todo[k]!, list.simple ?? parseList(list.text));
          } catch {
            // left to parseParams, which names the node in its error
          }
          if (++k === todo.length) return k;
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

// The start of a function's source, up to its body: only the parameter list
// is wanted, and lexing bodies is most of the work. Cut before the first "{"
// after the first ")", or after the first "=>"; when that falls inside the
// list (a default holding a function or a brace), the list comes out
// incomplete and the function is read whole, on its own.
function headOf(source: string): string {
  let cut = source.length;
  const arrow = source.indexOf("=>");
  if (arrow >= 0) cut = arrow + 2;
  const close = source.indexOf(")");
  if (close >= 0) {
    const brace = source.indexOf("{", close);
    if (brace >= 0 && brace < cut) cut = brace;
  }
  return source.slice(0, cut);
}

/** Any function. */
// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

// `a, b, c` or `{ a, b, c }` (a trailing comma allowed), else undefined.
function simpleList(tokens: Token[]): ParsedParams | undefined {
  let from = 0;
  let to = tokens.length;
  const object = tokens[0]?.type === tokTypes.braceL;
  if (object) {
    if (tokens[to - 1]?.type !== tokTypes.braceR) return undefined;
    from = 1;
    to--;
  }
  const names: string[] = [];
  for (let i = from; i < to; i++) {
    const token = tokens[i]!;
    if ((i - from) % 2 === 0) {
      if (token.type !== tokTypes.name) return undefined;
      names.push(nameOf(token));
    } else if (token.type !== tokTypes.comma) {
      return undefined;
    }
  }
  if (names.length === 0) return object ? OBJECT_NONE : NONE;
  return object
    ? Object.freeze({ style: "object", names, optional: EMPTY })
    : positional(names);
}

// A name token's value: its source text with unicode escapes resolved.
// (acorn's typings omit `value`, which every token has at run time.)
function nameOf(token: Token): string {
  return String((token as Token & { value: unknown }).value);
}

function positional(names: string[]): ParsedParams {
  return Object.freeze({ style: "positional", names, optional: EMPTY });
}

const EMPTY: ReadonlySet<string> = new Set();
const OBJECT_NONE: ParsedParams = Object.freeze({
  style: "object",
  names: [],
  optional: EMPTY,
});

function isObjectPattern(p: Pattern): boolean {
  return p.type === "ObjectPattern" ||
    (p.type === "AssignmentPattern" && p.left.type === "ObjectPattern");
}

function objectStyle(param: Pattern): ParsedParams {
  const pattern = param.type === "AssignmentPattern" ? param.left : param;
  if (pattern.type !== "ObjectPattern") throw new ParamsError("unreachable");
  const names: string[] = [];
  const optional = new Set<string>();
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
    if (prop.value.type === "AssignmentPattern") optional.add(name);
  }
  return Object.freeze({ style: "object", names, optional });
}

function positionalStyle(params: Pattern[]): ParsedParams {
  const names: string[] = [];
  const optional = new Set<string>();
  for (const param of params) {
    if (param.type === "Identifier") {
      names.push(param.name);
    } else if (
      param.type === "AssignmentPattern" && param.left.type === "Identifier"
    ) {
      names.push(param.left.name);
      optional.add(param.left.name);
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
  return Object.freeze({ style: "positional", names, optional });
}
