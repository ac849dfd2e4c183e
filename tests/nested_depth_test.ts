// Pipelines nested in pipelines run to braid's documented depth on every
// inline executor, and one level more is refused when it is made, not met
// as a stack overflow in the middle of a run.
import assert from "node:assert/strict";
import { Engine, Pipeline } from "../mod.ts";

const MAX_NESTING = 100;

function nested(levels: number, engine?: Engine): Pipeline<never> {
  let pipeline = new Pipeline({
    nodes: [function y({ x }: { x: number }) {
      return x + 1;
    }],
    ...(engine === undefined ? {} : { engine }),
  }) as unknown as Pipeline<never>;
  for (let level = 1; level <= levels; level++) {
    pipeline = new Pipeline({
      nodes: [pipeline.asNode({ name: `level${level}` } as never)],
      ...(engine === undefined ? {} : { engine }),
    }) as unknown as Pipeline<never>;
  }
  return pipeline;
}

for (const executor of ["sequential", "async"] as const) {
  Deno.test(`pipelines nested ${MAX_NESTING} deep run on the ${executor} executor`, async () => {
    const engine = new Engine({ nodeExecutor: executor });
    const out = await nested(MAX_NESTING, engine).run(
      { inputs: { x: 1 } } as never,
    );
    assert.deepEqual(out, { y: 2 });
  });
}

Deno.test("nesting a pipeline past the depth limit is a RangeError from asNode naming the limit", () => {
  const deepest = nested(MAX_NESTING - 1);
  deepest.asNode({ name: "ok" } as never); // level 100: allowed
  const tooDeep = new Pipeline({
    nodes: [deepest.asNode({ name: "last" } as never)],
  }) as unknown as Pipeline<never>;
  assert.throws(
    () => tooDeep.asNode({ name: "over" } as never),
    (e: unknown) =>
      e instanceof RangeError &&
      e.message.includes(`nested ${MAX_NESTING + 1} deep`) &&
      e.message.includes(`limit of ${MAX_NESTING}`),
  );
});
