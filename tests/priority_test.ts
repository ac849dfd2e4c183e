// A `priority` tag orders ready nodes, so a value that is not a finite
// number is rejected when the graph is built, naming the node.
import assert from "node:assert/strict";
import {
  Builder,
  extractFields,
  InvalidNodeError,
  named,
  node,
  Pipeline,
  priority,
  tag,
  tagOutputs,
} from "../mod.ts";

const bad = ["high", Number.NaN, Infinity, -Infinity, true, [1]] as const;

const namesNodeAndTag = (name: string) => (e: unknown) =>
  e instanceof InvalidNodeError && e.nodeName === name &&
  /"priority"/.test(e.message) && /finite number/.test(e.message);

Deno.test("Builder.build() rejects a priority tag that is not a finite number with an InvalidNodeError naming the node", async () => {
  for (const value of bad) {
    await assert.rejects(
      new Builder().withModules({
        urgent: node(() => 1, tag({ priority: value })),
      }).build(),
      namesNodeAndTag("urgent"),
      String(value),
    );
  }
});

Deno.test("new Pipeline() rejects a priority tag that is not a finite number with an InvalidNodeError naming the node", () => {
  assert.throws(
    () =>
      new Pipeline({
        nodes: [node(() => 1, named("urgent"), tag({ priority: "high" }))],
      }),
    namesNodeAndTag("urgent"),
  );
});

Deno.test("a priority tag given by tagOutputs() is checked on the node it tags", async () => {
  await assert.rejects(
    new Builder().withModules({
      pair: node(
        () => ({ a: 1, b: 2 }),
        extractFields("a", "b"),
        tagOutputs({ b: { priority: "soon" } }),
      ),
    }).build(),
    namesNodeAndTag("b"),
  );
});

Deno.test("finite numeric priority tags, and priority(n), build and run", async () => {
  const dr = await new Builder().withModules({
    a: node(() => 1, tag({ priority: -2.5 })),
    b: node(() => 2, priority(10)),
  }).build();
  assert.deepEqual(await dr.execute(["a", "b"]), { a: 1, b: 2 });
});
