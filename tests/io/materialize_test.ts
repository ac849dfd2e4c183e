// Materializers: from.* loaders in place of their targets, to.* savers as
// nodes, materialize() and validateMaterialization(), custom formats.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import {
  Builder,
  DuplicateNodeError,
  from,
  MemoryCacheStore,
  MissingInputError,
  readWithMetadata,
  registerMaterializer,
  source,
  to,
} from "../../mod.ts";

async function withDir(
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "braid_io_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ORDERS_CSV =
  "id,region,amount,paid\n1,eu,10.5,true\n2,us,,false\n3,eu,7,true\n";

const features = {
  orders: (): Table => {
    throw new Error("replaced by a loader in these tests");
  },
  amounts: ({ orders }: { orders: Table }) =>
    [...orders.getChild("amount")!] as (number | null)[],
  regions: ({ orders }: { orders: Table }) =>
    [...orders.getChild("region")!] as string[],
};

Deno.test("from.csv replaces its target with a typed Arrow Table and reports what it read", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "orders.csv");
    await Deno.writeTextFile(path, ORDERS_CSV);
    const dr = await new Builder().withModules(features)
      .withMaterializers(from.csv({ target: "orders", path })).build();
    const run = await dr.run(["amounts", "regions", "orders"]);
    assert.equal(run.success, true, String(run.error));
    assert.deepEqual(run.outputs?.amounts, [10.5, null, 7]);
    assert.deepEqual(run.outputs?.regions, ["eu", "us", "eu"]);
    const table = run.outputs!.orders;
    assert.deepEqual(
      table.schema.fields.map((f) => `${f.name}:${f.type}`),
      ["id:Float64", "region:Utf8", "amount:Float64", "paid:Bool"],
    );
    const metadata = run.nodes.find((n) => n.name === "orders")?.metadata;
    assert.equal(metadata?.path, path);
    assert.equal(metadata?.rows, 3);
    assert.equal(metadata?.bytes, ORDERS_CSV.length);
    assert.match(String(metadata?.contentHash), /^[0-9a-f]{32}$/);
    assert.equal(
      dr.listAvailableVariables({ tagFilter: { materializer: "loader" } })[0]
        ?.name,
      "orders",
    );
  });
});

Deno.test("from.csv keeps non-ASCII text, nulls in every column type, and quoted fields", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "names.csv");
    await Deno.writeTextFile(
      path,
      'name,ok,n\nZoë,true,1\n,,\n"Ødegaard, M.",false,2.5\n北京,true,\n',
    );
    const dr = await new Builder().withModules({
      t: (): Table => features.orders(),
    })
      .withMaterializers(from.csv({ target: "t", path })).build();
    const { t } = await dr.execute(["t"]);
    assert.deepEqual([...t.getChild("name")!], [
      "Zoë",
      null,
      "Ødegaard, M.",
      "北京",
    ]);
    assert.deepEqual([...t.getChild("ok")!], [true, null, false, true]);
    assert.deepEqual([...t.getChild("n")!], [1, null, 2.5, null]);
  });
});

Deno.test("from.csv reads a file of many chunks, and a column that turns to text late keeps its fields as written", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "big.csv");
    const rows = 300_000; // about 9 MB: several of the parser's chunks
    const lines = ["n,code,flag"];
    for (let i = 0; i < rows; i++) {
      // "code" reads as numbers ("007") until its last row.
      const code = i === rows - 1 ? "x12" : String(i % 10).padStart(3, "0");
      lines.push(`${i},${code},${i % 2 === 0}`);
    }
    await Deno.writeTextFile(path, lines.join("\n") + "\n");
    const dr = await new Builder().withModules({
      t: (): Table => features.orders(),
    })
      .withMaterializers(from.csv({ target: "t", path })).build();
    const { t } = await dr.execute(["t"]);
    assert.equal(t.numRows, rows);
    assert.deepEqual(
      t.schema.fields.map((f) => `${f.name}:${f.type}`),
      ["n:Float64", "code:Utf8", "flag:Bool"],
    );
    const n = t.getChild("n")!;
    const code = t.getChild("code")!;
    const flag = t.getChild("flag")!;
    for (const i of [0, 1, 7, 150_001, rows - 2]) {
      assert.equal(n.get(i), i);
      assert.equal(code.get(i), String(i % 10).padStart(3, "0"));
      assert.equal(flag.get(i), i % 2 === 0);
    }
    assert.equal(code.get(rows - 1), "x12");
  });
});

Deno.test("from.csv reads quoted fields with line breaks across the pieces it reads, and hashes the file as readWithMetadata does", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "notes.csv");
    const rows = 250_000; // about 9 MB: the file is read in 4 MB pieces
    const lines = ["id,note"];
    for (let i = 0; i < rows; i++) {
      lines.push(`${i},"line ${i}\nsaid ""hi"", ok"`);
    }
    await Deno.writeTextFile(path, lines.join("\r\n") + "\r\n");
    const dr = await new Builder().withModules({
      t: (): Table => features.orders(),
    })
      .withMaterializers(from.csv({ target: "t", path })).build();
    const run = await dr.run(["t"]);
    const t = run.outputs!.t;
    assert.equal(t.numRows, rows);
    const note = t.getChild("note")!;
    for (const i of [0, 1, 99_999, 131_071, rows - 1]) {
      assert.equal(t.getChild("id")!.get(i), i);
      assert.equal(note.get(i), `line ${i}\nsaid "hi", ok`);
    }
    const [, read] = await readWithMetadata(path);
    assert.equal(run.nodes[0]?.metadata?.contentHash, read.contentHash);
    assert.equal(run.nodes[0]?.metadata?.bytes, read.bytes);
  });
});

Deno.test('from.csv with as: "rows" gives row objects', async () => {
  await withDir(async (dir) => {
    const path = join(dir, "orders.csv");
    await Deno.writeTextFile(path, ORDERS_CSV);
    const dr = await new Builder().withModules({ orders: (): unknown => [] })
      .withMaterializers(from.csv({ target: "orders", path, as: "rows" }))
      .build();
    const { orders } = await dr.execute(["orders"]);
    assert.deepEqual((orders as unknown[])[0], {
      id: 1,
      region: "eu",
      amount: 10.5,
      paid: true,
    });
  });
});

Deno.test("a malformed CSV fails the loader, naming the file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "bad.csv");
    await Deno.writeTextFile(path, 'a,b\n1,"unclosed\n');
    const dr = await new Builder().withModules({ orders: (): unknown => [] })
      .withMaterializers(from.csv({ target: "orders", path })).build();
    await assert.rejects(
      dr.execute(["orders"]),
      (e: unknown) =>
        /Cannot parse CSV .*bad\.csv/.test(String((e as Error).cause)),
    );
  });
});

for (const format of ["csv", "parquet", "arrow"] as const) {
  Deno.test(`to.${format} writes a table that from.${format} reads back`, async () => {
    await withDir(async (dir) => {
      const path = join(dir, `out.${format}`);
      const source = await new Builder().withModules({
        region: () => ["eu", "us", "eu"],
        amount: () => new Float64Array([10.5, 3, 7]),
      }).build();
      const [metadata] = await source.materialize([
        to[format]({ id: "save", path, dependencies: ["region", "amount"] }),
      ]);
      assert.equal(metadata.save?.path, path);
      assert.equal(metadata.save?.rows, 3);
      assert.equal(metadata.save?.bytes, (await Deno.stat(path)).size);
      const reader = await new Builder().withModules(features)
        .withMaterializers(from[format]({ target: "orders", path })).build();
      const out = await reader.execute(["amounts", "regions"]);
      assert.deepEqual(out, {
        amounts: [10.5, 3, 7],
        regions: ["eu", "us", "eu"],
      });
    });
  });
}

Deno.test("to.json saves one dependency as it is, several by name, or what combine makes", async () => {
  await withDir(async (dir) => {
    const dr = await new Builder().withModules({
      a: () => [1, 2],
      b: () => "x",
    })
      .build();
    const one = join(dir, "one.json");
    const both = join(dir, "both.json");
    const combined = join(dir, "combined.json");
    await dr.materialize([
      to.json({ id: "one", path: one, dependencies: ["a"] }),
      to.json({ id: "both", path: both, dependencies: ["a", "b"] }),
      to.json({
        id: "combined",
        path: combined,
        dependencies: ["a", "b"],
        combine: ({ a, b }) => `${b}:${(a as number[]).length}`,
      }),
    ]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(one)), [1, 2]);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(both)), {
      a: [1, 2],
      b: "x",
    });
    assert.equal(JSON.parse(await Deno.readTextFile(combined)), "x:2");
  });
});

Deno.test("a saver's path may come from an input through source()", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "report.txt");
    const dr = await new Builder().withModules({ report: () => "done" })
      .withMaterializers(
        to.text({
          id: "save",
          path: source("out_path"),
          dependencies: ["report"],
        }),
      ).build();
    const out = await dr.execute(["save"], { inputs: { out_path: path } });
    assert.equal(out.save.path, path);
    assert.equal(await Deno.readTextFile(path), "done");
  });
});

Deno.test("materialize returns every loader's and saver's metadata and the additional values, and leaves the driver's graph as it was", async () => {
  await withDir(async (dir) => {
    const input = join(dir, "in.json");
    const output = join(dir, "out.txt");
    await Deno.writeTextFile(input, '{"n": 4}');
    const dr = await new Builder().withModules({
      settings: (): { n: number } => ({ n: 1 }),
      squared: ({ settings }: { settings: { n: number } }) => settings.n ** 2,
      label: ({ squared }: { squared: number }) => `n²=${squared}`,
    }).build();
    const [metadata, values] = await dr.materialize([
      from.json({ target: "settings", path: input }),
      to.text({ id: "save_label", path: output, dependencies: ["label"] }),
    ], { additionalVars: ["squared"] });
    assert.deepEqual(values, { squared: 16 });
    assert.deepEqual(Object.keys(metadata).sort(), ["save_label", "settings"]);
    assert.equal(metadata.settings?.path, input);
    assert.equal(await Deno.readTextFile(output), "n²=16");
    // The driver itself still computes settings and has no saver.
    assert.deepEqual(await dr.execute(["squared"]), { squared: 1 });
    assert.throws(() => dr.whatIsUpstreamOf("save_label"), /Unknown node/);
  });
});

Deno.test("validateMaterialization throws what materialize would, and reads and writes nothing", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "missing.json");
    const output = join(dir, "out.json");
    const dr = await new Builder().withModules({
      total: ({ rate }: { rate: number }) => rate * 2,
    }).build();
    const materializers = [
      from.json({ target: "settings", path: missing }),
      to.json({ id: "save_total", path: output, dependencies: ["total"] }),
    ];
    assert.throws(
      () => dr.validateMaterialization(materializers),
      (e: unknown) =>
        e instanceof MissingInputError && /"rate"/.test(e.message),
    );
    dr.validateMaterialization(materializers, { inputs: { rate: 2 } });
    await assert.rejects(Deno.stat(output), Deno.errors.NotFound);
    await dr.materialize(materializers, { inputs: { rate: 2 } });
    assert.equal(JSON.parse(await Deno.readTextFile(output)), 4);
  });
});

Deno.test("a saver named as a node, or two materializers of one node, are DuplicateNodeErrors", async () => {
  const dr = await new Builder().withModules({ a: () => 1 }).build();
  assert.throws(
    () =>
      dr.validateMaterialization([
        to.json({ id: "a", path: "x.json", dependencies: ["a"] }),
      ]),
    DuplicateNodeError,
  );
  assert.throws(
    () =>
      dr.validateMaterialization([
        from.json({ target: "a", path: "x.json" }),
        from.text({ target: "a", path: "x.txt" }),
      ]),
    DuplicateNodeError,
  );
});

Deno.test("materializer options are checked when they are made", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => from.csv({ target: "", path: "x.csv" } as any),
    /from\.csv needs 'target'/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => to.csv({ id: "s", path: "x.csv", dependencies: [] } as any),
    /needs 'dependencies'/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => to.csv({ id: "s", dependencies: ["a"] } as any),
    /to\.csv needs 'path'/,
  );
});

Deno.test("registerMaterializer adds from.<name> and to.<name>, once", async () => {
  const store = new Map<string, unknown>();
  registerMaterializer({
    name: "memory_test",
    load: ({ path }) => [store.get(path), { key: path }],
    save: (value, { path }) => (store.set(path, value), { key: path }),
  });
  assert.throws(
    () => registerMaterializer({ name: "memory_test", load: () => [1, {}] }),
    /already registered/,
  );
  assert.throws(
    () => registerMaterializer({ name: "csv", load: () => [1, {}] }),
    /already registered/,
  );
  const writer = await new Builder().withModules({ v: () => 41 })
    .withMaterializers(
      to.memory_test!({ id: "keep", path: "k", dependencies: ["v"] }),
    ).build();
  assert.deepEqual(await writer.execute(["keep"]), { keep: { key: "k" } });
  const reader = await new Builder().withModules({
    v: (): number => 0,
    next: ({ v }: { v: number }) => v + 1,
  }).withMaterializers(from.memory_test!({ target: "v", path: "k" })).build();
  const run = await reader.run(["next"]);
  assert.deepEqual(run.outputs, { next: 42 });
  assert.deepEqual(run.nodes.find((n) => n.name === "v")?.metadata, {
    key: "k",
  });
});

Deno.test("an edited CSV behind from.csv invalidates cached nodes downstream", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "orders.csv");
    await Deno.writeTextFile(path, ORDERS_CSV);
    let runs = 0;
    const dr = await new Builder().withModules({
      ...features,
      total: ({ amounts }: { amounts: (number | null)[] }) => (
        runs++, amounts.reduce<number>((a, b) => a + (b ?? 0), 0)
      ),
    }).withMaterializers(from.csv({ target: "orders", path }))
      .withCache({ store: new MemoryCacheStore() }).build();
    assert.deepEqual(await dr.execute(["total"]), { total: 17.5 });
    assert.deepEqual(await dr.execute(["total"]), { total: 17.5 });
    assert.equal(runs, 1);
    await Deno.writeTextFile(path, ORDERS_CSV + "4,us,2.5,true\n");
    assert.deepEqual(await dr.execute(["total"]), { total: 20 });
    assert.equal(runs, 2);
  });
});
