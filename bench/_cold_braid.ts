/**
 * Bench rows i1 and i2 (with `_cold_plain.ts`), each run as a whole
 * `deno run` process: a script that imports braid, as a user's does; with
 * `graph`, it builds a 3-node graph of plain functions (parameters parsed)
 * and executes it once; with `import`, it stops there. Prints the sum the
 * graph computes, or 0.
 *
 * @module
 */
import { Builder } from "../mod.ts";

const a = () => 1;
const b = ({ a }: { a: number }) => a + 1;
const c = ({ a, b }: { a: number; b: number }) => a + b;
if (Deno.args[0] === "graph") {
  const dr = await new Builder().withModules({ a, b, c }).build();
  console.log((await dr.execute(["c"])).c);
} else {
  console.log(0);
}
