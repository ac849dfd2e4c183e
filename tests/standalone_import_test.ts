// braid as a dependency: a project of its own, with no configuration,
// imports braid's mod.ts by path and runs (and type-checks) a graph. braid's
// source names its npm dependencies by versioned `npm:` specifiers, so
// nothing depends on braid's own import map.
import assert from "node:assert/strict";
import { runDeno } from "./_deno.ts";

const root = new URL("../", import.meta.url);

async function sources(dir: URL): Promise<URL[]> {
  const found: URL[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...await sources(url));
    else if (entry.name.endsWith(".ts")) found.push(url);
  }
  return found;
}

// Specifiers in import declarations, re-exports, `import type` and
// dynamic imports with a literal.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)"([^"]+)"/gm;

Deno.test("braid's source imports npm packages by versioned npm: specifiers, the versions of its import map", async () => {
  const { imports } = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", root)),
  ) as { imports: Record<string, string> };
  const files = [
    new URL("mod.ts", root),
    ...await sources(new URL("src/", root)),
  ];
  const bare: string[] = [];
  const mismatched: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    for (const [, specifier] of text.matchAll(SPECIFIER)) {
      if (/^(\.|\/|node:|file:)/.test(specifier!)) continue;
      const where = `${
        file.pathname.slice(root.pathname.length)
      }: "${specifier}"`;
      if (!specifier!.startsWith("npm:")) {
        // Doc examples import braid by its package name: not code.
        if (specifier !== "@braid/braid") bare.push(where);
        continue;
      }
      if (!Object.values(imports).includes(specifier!)) mismatched.push(where);
    }
  }
  assert.deepEqual(bare, [], "bare specifiers need braid's import map");
  assert.deepEqual(
    mismatched,
    [],
    "npm: specifiers should match deno.json's imports (one version of each package)",
  );
});

Deno.test("a project with no configuration of its own imports braid's mod.ts by path, runs a graph and type-checks", async () => {
  const project = await Deno.makeTempDir({ prefix: "braid-user-" });
  try {
    await Deno.writeTextFile(
      `${project}/main.ts`,
      `import { Builder, MemoryCacheStore, named, node } from ${
        JSON.stringify(new URL("mod.ts", root).href)
      };
function double({ x }: { x: number }): number {
  return x * 2;
}
const dr = await new Builder()
  .withModules({
    double,
    total: node(({ double }: { double: number }) => double + 1, named("total")),
  })
  .withExecutor("async", { concurrency: 2 })
  .withCache({ store: new MemoryCacheStore() })
  .build();
const first = await dr.execute(["total"], { inputs: { x: 4 } });
const again = await dr.run(["total"], { inputs: { x: 4 } });
console.log(JSON.stringify([first, again.nodes.map((n) => [n.name, n.cache])]));
await dr.close();
`,
    );
    const deno = (...args: string[]) => runDeno(args, { cwd: project });
    const ran = await deno("run", "main.ts");
    assert.equal(ran.code, 0, ran.stderr);
    assert.deepEqual(JSON.parse(ran.stdout), [
      { total: 9 },
      [["double", "hit"], ["total", "hit"]],
    ]);
    const checked = await deno("check", "main.ts");
    assert.equal(checked.code, 0, checked.stderr);
  } finally {
    await Deno.remove(project, { recursive: true });
  }
});
