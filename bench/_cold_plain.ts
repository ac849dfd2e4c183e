/**
 * Bench rows i1 and i2 (with `_cold_braid.ts`): the same script without
 * braid; with `graph`, the three functions called by hand. Prints their
 * sum, or 0.
 *
 * @module
 */
const a = () => 1;
const b = ({ a }: { a: number }) => a + 1;
const c = ({ a, b }: { a: number; b: number }) => a + b;
if (Deno.args[0] === "graph") {
  const va = a();
  console.log(c({ a: va, b: b({ a: va }) }));
} else {
  console.log(0);
}
