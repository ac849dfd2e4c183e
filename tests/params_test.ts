import assert from "node:assert/strict";
import {
  ParamsError,
  parseParams,
  parseSource,
  readParams,
} from "../src/_params.ts";

const names = (src: string) => parseSource(src).names;

Deno.test("parseParams reads the keys of a destructured object parameter", () => {
  const p = parseParams(({ a, b }: { a: number; b: number }) => a + b);
  assert.equal(p.style, "object");
  assert.deepEqual(p.names, ["a", "b"]);
  assert.equal(p.optional.size, 0);
});

Deno.test("parseParams reads plain positional parameter names", () => {
  function avg(spend: number[], n: number) {
    return spend.length / n;
  }
  const p = parseParams(avg);
  assert.equal(p.style, "positional");
  assert.deepEqual(p.names, ["spend", "n"]);
});

Deno.test("parseParams marks parameters with defaults as optional", () => {
  const object = parseParams(({ a, b = 2 }: { a: number; b?: number }) =>
    a + b
  );
  assert.deepEqual([...object.optional], ["b"]);
  const positional = parseParams((a: number, b = 2) => a + b);
  assert.deepEqual([...positional.optional], ["b"]);
});

Deno.test("parseParams handles async functions, arrows, methods and generators", () => {
  const obj = {
    method({ x }: { x: number }) {
      return x;
    },
    async asyncMethod(y: number) {
      return await Promise.resolve(y);
    },
  };
  assert.deepEqual(parseParams(obj.method).names, ["x"]);
  assert.deepEqual(parseParams(obj.asyncMethod).names, ["y"]);
  assert.deepEqual(parseParams(async (z: number) => await z).names, ["z"]);
  assert.deepEqual(names("async function f({ a }) { return a; }"), ["a"]);
  assert.deepEqual(names("function* gen(a, b) { yield a; }"), ["a", "b"]);
  assert.deepEqual(names("x => x + 1"), ["x"]);
  assert.deepEqual(names("async x => x + 1"), ["x"]);
  assert.deepEqual(names("() => 1"), []);
});

Deno.test("parseParams is not confused by strings, comments and templates in defaults", () => {
  assert.deepEqual(
    names(
      "function f(a = ')', /* ( */ b = `${'('}`, c = (1 + 2)) { return a; }",
    ),
    ["a", "b", "c"],
  );
  assert.deepEqual(names("({ a = '{' , b: renamed = 1 }) => a"), ["a", "b"]);
});

Deno.test("parseParams reads TypeScript-compiled output (types stripped)", () => {
  // What Deno's transpiler leaves of `({ spend, ddof = 0 }: {...}): Promise<number> => ...`
  const p = parseSource(
    "async ({ spend, ddof = 0 })=>{ return spend.length - ddof; }",
  );
  assert.deepEqual(p.names, ["spend", "ddof"]);
  assert.deepEqual([...p.optional], ["ddof"]);
});

Deno.test("parseParams treats a renamed or nested key as the input of that key", () => {
  assert.deepEqual(names("({ a: alias, b: { inner } }) => alias"), ["a", "b"]);
});

Deno.test("parseParams rejects rest parameters and computed keys with how to fix them", () => {
  assert.throws(
    () => parseSource("(...args) => args"),
    (e: unknown) =>
      e instanceof ParamsError &&
      /rest parameters.*name each input/.test(e.message),
  );
  assert.throws(
    () => parseSource("({ a, ...rest }) => a"),
    (e: unknown) => e instanceof ParamsError && /rest element/.test(e.message),
  );
  assert.throws(
    () => parseSource("({ [key]: v }) => v"),
    (e: unknown) => e instanceof ParamsError && /computed key/.test(e.message),
  );
  assert.throws(
    () => parseSource("(a, [b, c]) => a"),
    (e: unknown) =>
      e instanceof ParamsError && /plain parameter names/.test(e.message),
  );
});

Deno.test("parseParams rejects native functions and classes", () => {
  assert.throws(() => parseParams(Math.max), ParamsError);
  assert.throws(() => parseParams((() => 1).bind(null)), ParamsError);
  class K {}
  assert.throws(() => parseParams(K as never), /class/);
});

Deno.test("parseParams ignores a long body (only the parameter list is parsed)", () => {
  const body = "let x = 1;\n".repeat(10_000) + "return x; }";
  assert.deepEqual(names(`function f(a, b) { ${body}`), ["a", "b"]);
});

Deno.test("parseParams reads name-only lists with trailing commas and empty objects", () => {
  assert.deepEqual(names("function f(a, b,) {}"), ["a", "b"]);
  assert.deepEqual(parseSource("({ a, b, }) => a").style, "object");
  assert.deepEqual(names("({ a, b, }) => a"), ["a", "b"]);
  const empty = parseSource("({}) => 1");
  assert.equal(empty.style, "object");
  assert.deepEqual(empty.names, []);
  assert.deepEqual(empty.inputs, []);
  assert.equal(empty.optional.size, 0);
  assert.equal(empty.ctxIndex, -1);
  assert.deepEqual(names("async function f(/* a, */ b) {}"), ["b"]);
});

Deno.test("parseParams resolves unicode escapes in names, as the engine does", () => {
  assert.deepEqual(names("({ \\u0061, b }) => a"), ["a", "b"]);
  assert.deepEqual(names("(\\u0062) => b"), ["b"]);
  assert.deepEqual(names("\\u0063 => c"), ["c"]);
});

Deno.test("parseParams reads methods with super in defaults and computed keys", () => {
  assert.deepEqual(names("x(a = super.y, b) { return a; }"), ["a", "b"]);
  assert.deepEqual(names("[foo(1)](a, b = 2) { return a; }"), ["a", "b"]);
  assert.deepEqual(names("async *[Symbol.iterator](n) {}"), ["n"]);
});

Deno.test("readParams reads many functions in one pass with the same results as one by one", () => {
  const obj = {
    method(a: number, b = ")") {
      return a + b;
    },
    *gen({ x }: { x: number }) {
      yield x;
    },
  };
  const fns = [
    (a: number, b: number) => a + b,
    ({ spend, ddof = 0 }: { spend: number[]; ddof?: number }) =>
      spend.length - ddof,
    function named(x: string, y = "(", z = `${"{"}`) {
      return x + y + z;
    },
    async (q: number) => await q,
    (r: number) => /[)(]/.test(String(r)),
    obj.method,
    obj.gen,
    () => 1,
  ];
  const broken = [
    Math.max,
    (() => 1).bind(null),
    class Point {} as unknown as () => void,
  ];
  const read = readParams([...fns, ...broken]);
  assert.equal(read.length, fns.length + broken.length);
  fns.forEach((fn, i) => {
    assert.deepEqual(
      read[i],
      parseSource(Function.prototype.toString.call(fn)),
    );
  });
  broken.forEach((fn, i) => {
    assert.equal(read[fns.length + i], undefined);
    assert.throws(() => parseParams(fn), ParamsError);
  });
});

Deno.test("readParams never lets a misread body leak into the next function", () => {
  const obj = {
    *tokens(text: string) {
      // The tokenizer alone reads this regex as a division and "/*" as a comment.
      yield /[/*]/.test(text);
    },
    total(/* inputs */ a: number, b = Math.max(a, a)) {
      return a + b;
    },
  };
  const after = (x: number, y: number) => x + y;
  const [, total, next] = readParams([obj.tokens, obj.total, after]);
  assert.deepEqual(total?.names, ["a", "b"]);
  assert.deepEqual(next?.names, ["x", "y"]);
});

Deno.test("a method named class is a function, not a class", () => {
  const obj = {
    class({ score }: { score: number }) {
      return score > 0.5;
    },
  };
  assert.deepEqual(parseParams(obj.class).names, ["score"]);
});

Deno.test("readParams agrees with one-by-one parsing on tricky sources, wherever they sit", () => {
  // A factory: each call makes new function objects (nothing cached yet)
  // with the same sources.
  const make = (): ((...args: never[]) => unknown)[] => {
    const obj = {
      *gen(x: number) {
        yield /[/*]/.test(String(x));
      },
      ["comp" + "(x)"](z: number) {
        return z;
      },
      async am({ p, q = `}${1}` }: { p: number; q?: string }) {
        return await Promise.resolve(p + q);
      },
      m(a: number, b = "x) {") {
        return a + b;
      },
      get(a: number) {
        return a;
      },
    };
    return [
      (a: number) => a / 2 / 1,
      (a = (x: number) => ({ y: x }), b = 1) => [a, b],
      (a = "/", b = "(") => a + b,
      obj.gen,
      (a = 1 / 2 / 3, b = 0) => a + b,
      ({ a }: { a?: number } = {}) => a,
      obj["comp(x)"]!,
      (a = /[)]/, b = 1) => [a, b],
      obj.am,
      (a = `t${(() => "}")()}`) => a,
      obj.m,
      (
        /* c ) */ a: number, // d )
        b: number,
      ) => a + b,
      obj.get,
      function named(x: number, y = "{") {
        return x + y;
      },
      (x: number, y: number) => x + y,
    ];
  };
  const count = make().length;
  // Each source first, in the middle and last of a batch.
  for (let shift = 0; shift < count; shift++) {
    const fns = make();
    const order = [...fns.slice(shift), ...fns.slice(0, shift)];
    const read = readParams(order);
    order.forEach((fn, i) => {
      assert.deepEqual(
        read[i],
        parseSource(Function.prototype.toString.call(fn)),
      );
    });
  }
});

Deno.test("a parsed list gives its inputs without ctx, and where ctx is", () => {
  const p = parseSource("function f(a, ctx, b = 2) {}");
  assert.deepEqual(p.inputs, [
    { name: "a", optional: false },
    { name: "b", optional: true, defaultValue: 2 },
  ]);
  assert.equal(p.ctxIndex, 1);
  assert.equal(parseSource("({ x, y }) => x").ctxIndex, -1);
});

Deno.test("readParams finds the list after plain heads and reads odd heads whole", () => {
  class Secret {
    #p(a: number) {
      return a;
    }
    static p() {
      return new Secret().#p;
    }
  }
  const obj = {
    async *m(a: number) {
      yield a;
    },
    set x(v: number) {
      void v;
    },
    función(a: number, b: number) {
      return a + b;
    },
    [String(1) + "k"](a: number) {
      return a;
    },
    "key("(a: number) {
      return a;
    },
  };
  const setter = Object.getOwnPropertyDescriptor(obj, "x")!.set!;
  const f = (x: number) => x;
  const cases: [(...args: never[]) => unknown, string[]][] = [
    [function /* ( */ g(a: number) {
      return a;
    }, ["a"]],
    [function g(a = "(") {
      return a;
    }, ["a"]],
    [async function* gen(a: number, b: number) {
      yield a + b;
    }, ["a", "b"]],
    [obj.m, ["a"]],
    [setter, ["v"]],
    [obj.función, ["a", "b"]],
    [(obj as unknown as Record<string, (a: number) => number>)["1k"]!, ["a"]],
    [obj["key("], ["a"]],
    [Secret.p(), ["a"]],
    [(x: number) => f(x), ["x"]],
    [async (a: number) => await a, ["a"]],
    [function g(a: number) // {
    {
      return a;
    }, ["a"]],
  ];
  const read = readParams(cases.map(([fn]) => fn));
  cases.forEach(([fn, expected], i) => {
    const source = Function.prototype.toString.call(fn);
    assert.deepEqual(read[i]?.names, expected, source);
    assert.deepEqual(read[i], parseSource(source), source);
  });
});

Deno.test("readParams gives ctx's place and the other names as inputs, in one pass or alone", () => {
  const fns = [
    function a(x: number, ctx: unknown, y: number) {
      return [x, ctx, y];
    },
    ({ ctx, z }: { ctx: unknown; z: number }) => [ctx, z],
    function b(p: number) {
      return p;
    },
  ];
  const read = readParams(fns);
  assert.deepEqual(read[0]?.names, ["x", "ctx", "y"]);
  assert.equal(read[0]?.ctxIndex, 1);
  assert.deepEqual(read[0]?.inputs.map((i) => i.name), ["x", "y"]);
  assert.equal(read[1]?.style, "object");
  assert.equal(read[1]?.ctxIndex, 0);
  assert.deepEqual(read[1]?.inputs.map((i) => i.name), ["z"]);
  assert.deepEqual(read[2]?.inputs, [{ name: "p", optional: false }]);
});

Deno.test("parseSource records defaults written as literals, and none for defaults that compute", () => {
  const object = parseSource(
    "({ a, b = 2, c = -1.5, d = 'x', e = `t`, f = [1, null], g = { h: true, 'i': [] }, j = k(), l = m, n = undefined, o = 10n, p = /r/ }) => a",
  );
  const defaults = Object.fromEntries(
    object.inputs.filter((i) => Object.hasOwn(i, "defaultValue")).map((
      i,
    ) => [i.name, i.defaultValue]),
  );
  assert.deepEqual(defaults, {
    b: 2,
    c: -1.5,
    d: "x",
    e: "t",
    f: [1, null],
    g: { h: true, i: [] },
    n: undefined,
    o: 10n,
  });
  const positional = parseSource("function f(a, b = 3, c = a + 1) {}");
  assert.deepEqual(
    positional.inputs.map((i) => [i.name, i.optional, i.defaultValue]),
    [["a", false, undefined], ["b", true, 3], ["c", true, undefined]],
  );
  assert.ok(!Object.hasOwn(positional.inputs[2]!, "defaultValue"));
});
