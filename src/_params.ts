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

const cache = new WeakMap<object, ParsedParams>();
const NONE: ParsedParams = Object.freeze({
  style: "positional",
  names: [],
  optional: new Set<string>(),
});

/** Parses `fn`'s parameters, caching per function object. */
export function parseParams(fn: (...args: never[]) => unknown): ParsedParams {
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
  if (list.simple !== undefined) return list.simple;
  let expr: AcornNode;
  try {
    // An object method: acorn parses its parameters directly (an arrow's
    // list would need reinterpreting), and `super` is allowed in defaults
    // as it is in the methods this source may come from.
    expr = parseExpressionAt(`({m${list.text}{}})`, 0, OPTIONS);
  } catch (error) {
    throw new ParamsError(
      `its parameter list ${list.text} cannot be parsed (${
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
  if (/^class\b/.test(source)) {
    throw new ParamsError("it is a class, not a function");
  }
  if (source.endsWith("{ [native code] }")) {
    throw new ParamsError(
      "it is a native or bound function, whose parameters cannot be read; wrap it in a named function",
    );
  }
  let depth = 0;
  let start = -1;
  let keyDepth = 0; // inside a computed method key `[...]`
  let previous: Token | undefined;
  const inner: Token[] = [];
  try {
    for (const token of tokenizer(source, OPTIONS)) {
      if (start < 0) {
        if (token.type === tokTypes.bracketL) {
          keyDepth++;
        } else if (token.type === tokTypes.bracketR) {
          keyDepth--;
        } else if (keyDepth > 0) {
          // skip the key's own tokens, parentheses included
        } else if (token.type === tokTypes.parenL) {
          start = token.start;
          depth = 1;
        } else if (token.type === tokTypes.arrow && previous !== undefined) {
          // `x => ...` or `async x => ...`: a single bare parameter.
          const name = nameOf(previous);
          return {
            text: `(${source.slice(previous.start, previous.end)})`,
            simple: positional([name]),
          };
        } else if (token.type === tokTypes.braceL) {
          break;
        }
      } else if (token.type === tokTypes.parenR && --depth === 0) {
        return {
          text: source.slice(start, token.end),
          simple: simpleList(inner),
        };
      } else {
        if (token.type === tokTypes.parenL) depth++;
        inner.push(token);
      }
      previous = token;
    }
  } catch {
    // fall through: reported below with the source's first line
  }
  const head = source.split("\n", 1)[0]?.slice(0, 80);
  throw new ParamsError(
    `its parameter list cannot be found in its source "${head}" (is it a native or bound function?)`,
  );
}

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
