// `deno check` follows result builders, loaders and materializer ids: each
// probe below must fail type checking with the message given (and passes
// once the mistake is fixed, which the other tests' typed code shows).
import assert from "node:assert/strict";
import { runDeno } from "../_deno.ts";

const probes: [string, string, RegExp][] = [
  [
    "listResult: execute gives a list, not an object",
    `const dr = await new Builder().withModules({ a: () => 1 })
      .withResultBuilder(listResult()).build();
    const out = await dr.execute(["a"]);
    export const a = out.a;`,
    /Property 'a' does not exist on type '1\[\]'/,
  ],
  [
    "a custom result builder's type is what execute gives",
    `const dr = await new Builder().withModules({ a: () => 1 })
      .withResultBuilder({ buildResult: () => 42 }).build();
    export const s: string = await dr.execute(["a"]);`,
    /Type 'number' is not assignable to type 'string'/,
  ],
  [
    "a loader's node is typed as the value it loads, not the pair",
    `const dr = await new Builder().withModules({
      n: node((): [number, NodeMetadata] => [1, {}], loader()),
    }).build();
    export const s: string = (await dr.execute(["n"])).n;`,
    /Type 'number' is not assignable to type 'string'/,
  ],
  [
    "savers added with withMaterializers are requested by their exact id",
    `const dr = await new Builder().withModules({ a: () => 1 })
      .withMaterializers(to.json({ id: "save_a", path: "a.json", dependencies: ["a"] }))
      .build();
    await dr.execute(["save_a"]);
    await dr.execute(["save_b"]);`,
    /"save_b"' is not assignable/,
  ],
];

const header =
  `import { Builder, listResult, loader, node, to } from "../../mod.ts";
import type { NodeMetadata } from "../../mod.ts";
`;

for (const [name, body, expected] of probes) {
  Deno.test(`deno check rejects: ${name}`, async () => {
    const path = new URL(
      `./_probe_${crypto.randomUUID()}.ts`,
      import.meta.url,
    );
    await Deno.writeTextFile(path, header + body + "\n");
    try {
      const { code, stdout, stderr } = await runDeno([
        "check",
        "--quiet",
        path.pathname,
      ]);
      assert.notEqual(code, 0, "the probe must not type-check");
      assert.match(stdout + stderr, expected);
    } finally {
      await Deno.remove(path);
    }
  });
}
