import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  Builder,
  DenoKvCacheStore,
  MemoryCacheStore,
  SqliteCacheStore,
} from "../../mod.ts";
import { counting, outcomes, tempDir } from "./_helpers.ts";
import { runDeno } from "../_deno.ts";

async function withWarnings<T>(
  body: () => Promise<T>,
): Promise<[T, string[]]> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    return [await body(), warnings];
  } finally {
    console.warn = warn;
  }
}

async function resultFiles(path: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(join(path, "values"))) {
    files.push(join(path, "values", entry.name));
  }
  return files.sort();
}

// The results kept in the database itself, by data version.
function resultRows(
  path: string,
): { data_version: string; bytes: Uint8Array }[] {
  const db = new DatabaseSync(join(path, "metadata.sqlite"));
  try {
    return db.prepare("SELECT data_version, bytes FROM results ORDER BY 1")
      .all() as unknown as { data_version: string; bytes: Uint8Array }[];
  } finally {
    db.close();
  }
}

Deno.test("SqliteCacheStore: a corrupt, truncated or missing result file is a miss with a warning, then rewritten", async () => {
  const path = await tempDir();
  const { calls, count } = counting();
  // Every result in a file of its own.
  const store = new SqliteCacheStore(path, { inlineMaxBytes: 0 });
  const dr = await new Builder()
    .withModules({
      a: () => (count("a"), { data: [1, 2, 3], label: "x".repeat(100) }),
    })
    .withCache({ store }).build();
  const expected = { a: { data: [1, 2, 3], label: "x".repeat(100) } };
  assert.deepEqual(await dr.execute(["a"]), expected);
  const [file] = await resultFiles(path);
  const damage: [string, (bytes: Uint8Array) => Promise<void>][] = [
    ["corrupt", async (bytes) => {
      bytes[bytes.length - 3]! ^= 0xff;
      await Deno.writeFile(file!, bytes);
    }],
    ["truncated", (bytes) => Deno.writeFile(file!, bytes.subarray(0, 20))],
    ["missing", () => Deno.remove(file!)],
  ];
  for (const [kind, harm] of damage) {
    await harm(await Deno.readFile(file!));
    const [result, warnings] = await withWarnings(() => dr.run(["a"]));
    assert.deepEqual(result.outputs, expected, kind);
    const [entry] = dr.cache.logs(result.runId);
    assert.equal(entry?.outcome, "miss", kind);
    assert.match(entry!.warning!, new RegExp(kind), kind);
    assert.equal(warnings.length, 1, kind);
    // Rewritten: the next run hits.
    const again = await dr.run(["a"]);
    assert.equal(dr.cache.logs(again.runId)[0]?.outcome, "hit", kind);
  }
  assert.equal(calls.a, 4);
  await dr.close();
  store.close();
  await Deno.remove(path, { recursive: true });
});

Deno.test("SqliteCacheStore: a small result lives in the database; a corrupt or truncated one is a miss with a warning, then rewritten", async () => {
  const path = await tempDir();
  const { calls, count } = counting();
  // A store keeps the rows it read for its later runs: each round opens the
  // cache anew, as another process would, to read the damaged row.
  const open = () =>
    new Builder()
      .withModules({
        a: () => (count("a"), { data: [1, 2, 3], label: "x".repeat(100) }),
      })
      .withCache({ path }).build();
  let dr = await open();
  const expected = { a: { data: [1, 2, 3], label: "x".repeat(100) } };
  assert.deepEqual(await dr.execute(["a"]), expected);
  assert.deepEqual(await resultFiles(path), []);
  const [row] = resultRows(path);
  assert.ok(row !== undefined);
  const damage: [string, (bytes: Uint8Array) => Uint8Array][] = [
    ["corrupt", (bytes) => {
      const copy = bytes.slice();
      copy[copy.length - 3]! ^= 0xff;
      return copy;
    }],
    ["truncated", (bytes) => bytes.slice(0, 20)],
  ];
  for (const [kind, harm] of damage) {
    const db = new DatabaseSync(join(path, "metadata.sqlite"));
    db.prepare("UPDATE results SET bytes = ? WHERE data_version = ?")
      .run(harm(row.bytes), row.data_version);
    db.close();
    await dr.close();
    dr = await open();
    const [result, warnings] = await withWarnings(() => dr.run(["a"]));
    assert.deepEqual(result.outputs, expected, kind);
    const [entry] = dr.cache.logs(result.runId);
    assert.equal(entry?.outcome, "miss", kind);
    assert.match(entry!.warning!, new RegExp(kind), kind);
    assert.equal(warnings.length, 1, kind);
    // Rewritten: the next run hits.
    const again = await dr.run(["a"]);
    assert.equal(dr.cache.logs(again.runId)[0]?.outcome, "hit", kind);
  }
  assert.equal(calls.a, 3);
  await dr.close();
  await Deno.remove(path, { recursive: true });
});

Deno.test("SqliteCacheStore: identical results are stored once", async () => {
  for (const inlineMaxBytes of [0, undefined]) {
    const path = await tempDir();
    const store = new SqliteCacheStore(
      path,
      inlineMaxBytes === undefined ? {} : { inlineMaxBytes },
    );
    const dr = await new Builder()
      .withModules({ a: () => [1, 2], b: () => [1, 2], c: () => [3] })
      .withCache({ store }).build();
    await dr.execute(["a", "b", "c"]);
    const stored = (await resultFiles(path)).length + resultRows(path).length;
    assert.equal(stored, 2);
    await dr.close();
    store.close();
    await Deno.remove(path, { recursive: true });
  }
});

Deno.test("SqliteCacheStore: a value that cannot be serialized is logged and not stored; the run goes on", async () => {
  const path = await tempDir();
  class Point {
    constructor(readonly x: number) {}
  }
  const { calls, count } = counting();
  const dr = await new Builder().withModules({
    symbolic: () => (count("symbolic"), { tag: Symbol.for("braid.test") }),
    point: () => (count("point"), new Point(1)),
    next: ({ point }: { point: Point }) => (count("next"), point.x + 1),
  }).withCache({ path }).build();
  const first = await dr.run(["symbolic", "next"]);
  assert.equal(first.success, true);
  assert.equal(first.outputs?.next, 2);
  const logs = dr.cache.logs(first.runId);
  assert.match(
    logs.find((e) => e.nodeName === "symbolic")!.notStored!,
    /could not be cloned/,
  );
  assert.match(
    logs.find((e) => e.nodeName === "point")!.notStored!,
    /class Point/,
  );
  const second = await dr.run(["symbolic", "next"]);
  assert.ok(second.outputs?.symbolic);
  // Not stored, so they run again; "next" still hits (same input version).
  assert.deepEqual(outcomes(dr.cache.logs(second.runId)), {
    symbolic: "miss",
    point: "miss",
    next: "hit",
  });
  assert.deepEqual(calls, { symbolic: 2, point: 2, next: 1 });
  await dr.close();
  await Deno.remove(path, { recursive: true });
});

Deno.test("SqliteCacheStore: two processes on one directory at once both succeed and leave a consistent cache", async () => {
  const path = await tempDir();
  const script = new URL("../fixtures/cache_pipeline.ts", import.meta.url);
  const barrier = await tempDir();
  const spawn = (...wait: string[]) =>
    runDeno([
      "run",
      "--allow-read",
      "--allow-write",
      script.href,
      path,
      ...wait,
    ]);
  const outputs = await Promise.all([
    spawn(barrier, "2"),
    spawn(barrier, "2"),
  ]);
  for (const output of outputs) {
    assert.equal(output.code, 0, output.stderr);
    const line = JSON.parse(output.stdout);
    assert.equal(line.length, 2000);
    assert.equal(line.first, 1 + 199 * 200 / 2 + 0);
  }
  // A third run finds every node, whole.
  const third = await spawn();
  assert.equal(third.code, 0, third.stderr);
  assert.equal(JSON.parse(third.stdout).hits, 200);
  for (const file of await resultFiles(path)) {
    assert.doesNotMatch(file, /\.tmp$/);
  }
  await Deno.remove(path, { recursive: true });
  await Deno.remove(barrier, { recursive: true });
});

Deno.test("SqliteCacheStore: processes that open one new cache at the same moment all open it", async () => {
  const script = new URL("../fixtures/open_cache.ts", import.meta.url);
  const processes = 4;
  // A few rounds: the processes race to switch the new database to WAL.
  for (let round = 0; round < 3; round++) {
    const path = await tempDir();
    const barrier = await tempDir();
    const args = ["run", "--allow-read", "--allow-write", script.href];
    const outputs = await Promise.all(
      Array.from(
        { length: processes },
        () => runDeno([...args, path, barrier, String(processes)]),
      ),
    );
    for (const output of outputs) {
      assert.equal(output.code, 0, output.stderr);
      assert.equal(output.stdout.trim(), "v1");
    }
    await Deno.remove(path, { recursive: true });
    await Deno.remove(barrier, { recursive: true });
  }
});

Deno.test("DenoKvCacheStore: caches across drivers, splits large results, and treats damage as a miss", async () => {
  const kv = await Deno.openKv(":memory:");
  const { calls, count } = counting();
  const big = () => (count("big"), new Float64Array(50_000).map((_, i) => i));
  const make = () =>
    new Builder().withModules({ big, small: () => (count("small"), "s") })
      .withExecutor("async")
      .withCache({ store: new DenoKvCacheStore(kv) }).build();
  const first = await make();
  const cold = await first.execute(["big", "small"]);
  const second = await make();
  const warm = await second.run(["big", "small"]);
  assert.deepEqual(warm.outputs, cold);
  assert.deepEqual(calls, { big: 1, small: 1 });
  assert.deepEqual(outcomes(second.cache.logs(warm.runId)), {
    big: "hit",
    small: "hit",
  });
  // Damage one chunk of the big result.
  const entries = kv.list<Uint8Array>({ prefix: ["braid_cache", "chunk"] });
  for await (const entry of entries) {
    if (entry.value.length > 1000) {
      await kv.set(entry.key, entry.value.subarray(0, 10));
      break;
    }
  }
  const [damaged, warnings] = await withWarnings(() => second.run(["big"]));
  assert.deepEqual(damaged.outputs, { big: cold.big });
  assert.equal(firstOutcome(second.cache.logs(damaged.runId)), "miss");
  assert.equal(warnings.length, 1);
  const healed = await second.run(["big"]);
  assert.equal(firstOutcome(second.cache.logs(healed.runId)), "hit");
  kv.close();
});

function firstOutcome(
  logs: readonly { outcome: string }[],
): string | undefined {
  return logs[0]?.outcome;
}

Deno.test("MemoryCacheStore: stores each data version once, by reference", () => {
  const store = new MemoryCacheStore();
  const value = { a: 1 };
  store.set(
    { key: "k1", dataVersion: "v", nodeName: "a", codeVersion: "c" },
    value,
  );
  store.set({ key: "k2", dataVersion: "v", nodeName: "b", codeVersion: "c" }, {
    a: 1,
  });
  assert.equal(store.size, 1);
  assert.equal(store.getVersion("k2"), "v");
  const read = store.getResult("v");
  assert.ok(read.found && read.value === value);
  assert.deepEqual(store.getResult("nope"), { found: false });
});

Deno.test("SqliteCacheStore: rejects a bad path", () => {
  assert.throws(
    () => new SqliteCacheStore(""),
    /'path' must be a non-empty string/,
  );
});

Deno.test("SqliteCacheStore: a cache written by an earlier braid (format 1) is cleared when opened, never read", async () => {
  const path = await tempDir();
  // Format 1: a cache_keys table and every result in results/.
  await Deno.mkdir(join(path, "results"));
  const oldVersion = "0123456789abcdef0123456789abcdef";
  await Deno.writeFile(join(path, "results", oldVersion), new Uint8Array(40));
  const db = new DatabaseSync(join(path, "metadata.sqlite"));
  db.exec(`CREATE TABLE cache_keys (
    key TEXT PRIMARY KEY, data_version TEXT NOT NULL, node_name TEXT NOT NULL,
    code_version TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID`);
  db.prepare("INSERT INTO cache_keys VALUES (?, ?, 'a', 'c', 0)")
    .run("fedcba9876543210fedcba9876543210", oldVersion);
  db.close();
  const { calls, count } = counting();
  const open = () =>
    new Builder().withModules({ a: () => (count("a"), 1) })
      .withCache({ path }).build();
  const dr = await open();
  const first = await dr.run(["a"]);
  assert.deepEqual(outcomes(dr.cache.logs(first.runId)), { a: "miss" });
  await dr.close();
  // The old table and files are gone; the new layout is marked.
  const check = new DatabaseSync(join(path, "metadata.sqlite"));
  const tables = check.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  ).all().map((row) => (row as { name: string }).name);
  const version = check.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  check.close();
  assert.deepEqual(tables, ["entries", "results"]);
  assert.equal(version.user_version, 2);
  await assert.rejects(Deno.stat(join(path, "results")), Deno.errors.NotFound);
  // A later open keeps what the new layout holds.
  const again = await open();
  const second = await again.run(["a"]);
  assert.deepEqual(outcomes(again.cache.logs(second.runId)), { a: "hit" });
  assert.equal(calls.a, 1);
  await again.close();
  await Deno.remove(path, { recursive: true });
});

Deno.test("a store's prefetch() gets the keys a plan asked for in its last run, and lookup() answers hits in one call", async () => {
  class Recording extends MemoryCacheStore {
    prefetched: string[][] = [];
    lookups = 0;
    prefetch(keys: readonly string[]): void {
      this.prefetched.push([...keys]);
    }
    override lookup(key: string) {
      this.lookups++;
      return super.lookup(key);
    }
  }
  const store = new Recording();
  const dr = await new Builder().withModules({
    a: ({ x }: { x: number }) => x + 1,
    b: ({ a }: { a: number }) => a * 2,
  }).withCache({ store }).build();
  const first = await dr.run(["b"], { inputs: { x: 1 } });
  assert.equal(store.prefetched.length, 0); // nothing known of this plan yet
  const keys = dr.cache.logs(first.runId).map((e) => e.key!).sort();
  const second = await dr.run(["b"], { inputs: { x: 1 } });
  assert.deepEqual(outcomes(dr.cache.logs(second.runId)), {
    a: "hit",
    b: "hit",
  });
  assert.deepEqual(store.prefetched.map((k) => k.sort()), [keys]);
  assert.equal(store.lookups, 4);
  // Map items do not prefetch: each item's keys differ.
  await dr.map(["b"], { inputs: { x: [1, 2, 3] }, mapOver: "x" });
  assert.equal(store.prefetched.length, 1);
});

Deno.test("SqliteCacheStore: results up to inlineMaxBytes live in the database, larger ones in files", async () => {
  const path = await tempDir();
  const store = new SqliteCacheStore(path, { inlineMaxBytes: 1000 });
  const dr = await new Builder()
    .withModules({ small: () => "s".repeat(100), big: () => "b".repeat(5000) })
    .withCache({ store }).build();
  await dr.execute(["small", "big"]);
  assert.equal(resultRows(path).length, 1);
  assert.equal((await resultFiles(path)).length, 1);
  const again = await dr.run(["small", "big"]);
  assert.deepEqual(outcomes(dr.cache.logs(again.runId)), {
    small: "hit",
    big: "hit",
  });
  assert.equal(again.outputs?.big, "b".repeat(5000));
  await dr.close();
  store.close();
  assert.throws(
    () => new SqliteCacheStore(path, { inlineMaxBytes: -1 }),
    /'inlineMaxBytes' must be a non-negative integer: received -1/,
  );
  await Deno.remove(path, { recursive: true });
});
