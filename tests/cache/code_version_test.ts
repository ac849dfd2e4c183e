import assert from "node:assert/strict";
import { codeVersion, normalizeSource } from "../../src/cache/code_version.ts";
import { loadHasher } from "../../src/cache/hasher.ts";
import { GeneratedCode } from "../../src/_code.ts";

const hasher = await loadHasher();

Deno.test("codeVersion: comments and formatting do not change it", () => {
  const a = function f({ x }: { x: number }) {
    return x + 1;
  };
  // deno-fmt-ignore
  const b = function f( { x }: { x: number } ) {
    // add one
    return x   +  1; /* done */
  };
  assert.equal(codeVersion(a, hasher), codeVersion(b, hasher));
});

Deno.test("codeVersion: any edit to the body or a string changes it", () => {
  const a = ({ x }: { x: number }) => x + 1;
  const b = ({ x }: { x: number }) => x + 2;
  const c = () => "a  b";
  const d = () => "a b";
  assert.notEqual(codeVersion(a, hasher), codeVersion(b, hasher));
  assert.notEqual(codeVersion(c, hasher), codeVersion(d, hasher));
});

Deno.test("normalizeSource: tokens joined by single spaces", () => {
  assert.equal(
    normalizeSource("function f(a) {\n  // c\n  return a /* x */ * 2;\n}"),
    "function f ( a ) { return a * 2 ; }",
  );
});

Deno.test("codeVersion: a generated function hashes what it wraps", () => {
  const user1 = (x: number) => x + 1;
  const user2 = (x: number) => x + 2;
  const make = (fn: (x: number) => number, bound: number) =>
    new GeneratedCode((x: number) => fn(x) * bound, [fn, bound]);
  const versions = [
    make(user1, 2),
    make(user2, 2),
    make(user1, 3),
  ].map((code) => codeVersion(code.fn, hasher, code.parts));
  assert.equal(new Set(versions).size, 3);
  assert.equal(codeVersion(make(user1, 2), hasher), versions[0]);
  // ...and what a generated function it wraps calls, to any depth.
  const outer = (inner: GeneratedCode) =>
    codeVersion((x: number) => inner.fn(x), hasher, [inner]);
  assert.notEqual(outer(make(user1, 2)), outer(make(user1, 3)));
  assert.equal(outer(make(user1, 2)), outer(make(user1, 2)));
});

Deno.test("codeVersion: bound functions never share a version", () => {
  const f = function (this: number) {
    return this;
  };
  assert.notEqual(
    codeVersion(f.bind(1), hasher),
    codeVersion(f.bind(2), hasher),
  );
});
