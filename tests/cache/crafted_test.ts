// A cache directory or database someone else wrote (or tampered with) may
// hold anything: braid reads only what lies inside the cache, as the
// store's own well-formed entries, and never deletes outside it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  Builder,
  type CacheStore,
  DenoKvCacheStore,
  type KvLike,
  MemoryCacheStore,
  SqliteCacheStore,
} from "../../mod.ts";
import { exists, tempDir, withWarnings } from "./_helpers.ts";

const VALUE = "v".repeat(200);

// A driver with one node `a` returning VALUE, on the sqlite store in `path`.
function sqliteDriver(path: string) {
  return new Builder().withModules({ a: () => VALUE })
    .withCache({ path }).build();
}

function setVersion(path: string, version: string): void {
  const db = new DatabaseSync(join(path, "metadata.sqlite"));
  try {
    db.prepare("UPDATE entries SET data_version = ?").run(version);
  } finally {
    db.close();
  }
}

Deno.test("SqliteCacheStore: a row whose data version names a path is never read and deletes nothing", async () => {
  const root = await tempDir();
  const path = join(root, "cache");
  const victim = join(root, "victim.txt");
  const crafted = [
    "../victim.txt",
    "../../victim.txt",
    victim,
    "values/../../victim.txt",
    "0123456789abcdef0123456789abcde/", // 32 characters, not 32 hex digits
    "0123456789ABCDEF0123456789ABCDEF", // upper case: not what braid writes
  ];
  for (const version of crafted) {
    await Deno.writeTextFile(victim, "precious");
    let dr = await sqliteDriver(path);
    await dr.execute(["a"]);
    await dr.close();
    setVersion(path, version);
    dr = await sqliteDriver(path);
    const [result, warnings] = await withWarnings(() => dr.run(["a"]));
    await dr.close();
    assert.deepEqual(result.outputs, { a: VALUE }, version);
    const [entry] = dr.cache.logs(result.runId);
    assert.equal(entry?.outcome, "miss", version);
    assert.match(entry!.warning!, /malformed/, version);
    assert.equal(warnings.length, 1, version);
    assert.equal(await Deno.readTextFile(victim), "precious", version);
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("SqliteCacheStore: a result file that is a link is not followed, and what it points to stays", async () => {
  const root = await tempDir();
  const path = join(root, "cache");
  // A well-formed result of another value, outside the cache.
  const other = join(root, "other");
  const evilStore = new SqliteCacheStore(other, { inlineMaxBytes: 0 });
  const evil = await new Builder().withModules({ a: () => "EVIL".repeat(50) })
    .withCache({ store: evilStore }).build();
  await evil.execute(["a"]);
  await evil.close();
  evilStore.close();
  const [evilFile] = await filesIn(join(other, "values"));
  const outside = join(root, "outside.bin");
  await Deno.copyFile(evilFile!, outside);

  const store = new SqliteCacheStore(path, { inlineMaxBytes: 0 });
  const dr = await new Builder().withModules({ a: () => VALUE })
    .withCache({ store }).build();
  await dr.execute(["a"]);
  await dr.close();
  store.close();
  const [file] = await filesIn(join(path, "values"));
  await Deno.remove(file!);
  await Deno.symlink(outside, file!);

  const again = new SqliteCacheStore(path, { inlineMaxBytes: 0 });
  const reader = await new Builder().withModules({ a: () => VALUE })
    .withCache({ store: again }).build();
  const [result, warnings] = await withWarnings(() => reader.run(["a"]));
  await reader.close();
  again.close();
  assert.deepEqual(result.outputs, { a: VALUE });
  const [entry] = reader.cache.logs(result.runId);
  assert.equal(entry?.outcome, "miss");
  assert.match(entry!.warning!, /not a regular file/);
  assert.equal(warnings.length, 1);
  assert.ok(await exists(outside));
  await Deno.remove(root, { recursive: true });
});

Deno.test("SqliteCacheStore: a values directory that links outside the cache is refused; nothing outside is read or deleted", async () => {
  const root = await tempDir();
  const path = join(root, "cache");
  const store = new SqliteCacheStore(path, { inlineMaxBytes: 0 });
  const dr = await new Builder().withModules({ a: () => VALUE })
    .withCache({ store }).build();
  await dr.execute(["a"]);
  await dr.close();
  store.close();
  const [file] = await filesIn(join(path, "values"));
  const name = file!.slice(file!.lastIndexOf("/") + 1);
  // Elsewhere, a file that happens to carry the name of the result.
  const elsewhere = join(root, "elsewhere");
  await Deno.mkdir(elsewhere);
  await Deno.writeTextFile(join(elsewhere, name), "precious");
  await Deno.remove(join(path, "values"), { recursive: true });
  await Deno.symlink(elsewhere, join(path, "values"));
  assert.throws(
    () => new SqliteCacheStore(path, { inlineMaxBytes: 0 }),
    /values.*link/,
  );
  const [result] = await withWarnings(async () => {
    const reader = await new Builder().withModules({ a: () => VALUE })
      .withCache({ path }).build();
    try {
      return await reader.run(["a"]);
    } finally {
      await reader.close();
    }
  }).catch((error) => [{ outputs: undefined, error }] as const);
  assert.deepEqual(result.outputs, { a: VALUE });
  assert.equal(await Deno.readTextFile(join(elsewhere, name)), "precious");
  await Deno.remove(root, { recursive: true });
});

async function filesIn(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    files.push(join(dir, entry.name));
  }
  return files.sort();
}

// A real Deno KV, with the keys read from it written down.
class ReadLog implements KvLike {
  readonly reads: (readonly unknown[])[] = [];
  constructor(readonly kv: Deno.Kv) {}
  get(key: readonly unknown[]) {
    this.reads.push(key);
    return this.kv.get(key as Deno.KvKey);
  }
  set(key: readonly unknown[], value: unknown) {
    return this.kv.set(key as Deno.KvKey, value);
  }
  delete(key: readonly unknown[]) {
    return this.kv.delete(key as Deno.KvKey);
  }
  close() {
    this.kv.close();
  }
}

async function kvDriver(store: CacheStore) {
  return await new Builder().withModules({ a: () => VALUE })
    .withCache({ store }).build();
}

Deno.test("DenoKvCacheStore: a key entry holding a malformed data version is a miss, and its result is never asked for", async () => {
  const log = new ReadLog(await Deno.openKv(":memory:"));
  const dr = await kvDriver(new DenoKvCacheStore(log));
  const first = await dr.run(["a"]);
  const key = dr.cache.logs(first.runId)[0]!.key!;
  for (const version of ["../../victim", "", "x".repeat(10_000)]) {
    await log.kv.set(["braid_cache", "key", key], version);
    log.reads.length = 0;
    const [result, warnings] = await withWarnings(() => dr.run(["a"]));
    assert.deepEqual(result.outputs, { a: VALUE });
    const [entry] = dr.cache.logs(result.runId);
    assert.equal(entry?.outcome, "miss");
    assert.match(entry!.warning!, /malformed/);
    assert.equal(warnings.length, 1);
    assert.ok(
      !log.reads.some((read) => read.includes(version) && read[1] !== "key"),
      `read under ${version.slice(0, 20)}`,
    );
  }
  await dr.close();
  log.close();
});

Deno.test("DenoKvCacheStore: a result head that claims more chunks or bytes than it can hold is corrupt, read no further", async () => {
  const log = new ReadLog(await Deno.openKv(":memory:"));
  const dr = await kvDriver(new DenoKvCacheStore(log));
  const first = await dr.run(["a"]);
  const version = dr.cache.logs(first.runId)[0]!.dataVersion;
  const heads = [
    { chunks: 1_000_000, bytes: 60_000_000_000 },
    { chunks: 1, bytes: 2 ** 40 },
    { chunks: -1, bytes: 10 },
    { chunks: 1.5, bytes: 10 },
    { chunks: 5, bytes: 100 },
    "not a head",
  ];
  for (const head of heads) {
    await log.kv.set(["braid_cache", "result", version], head);
    log.reads.length = 0;
    const [result, warnings] = await withWarnings(() => dr.run(["a"]));
    assert.deepEqual(result.outputs, { a: VALUE }, JSON.stringify(head));
    const [entry] = dr.cache.logs(result.runId);
    assert.equal(entry?.outcome, "miss", JSON.stringify(head));
    assert.match(entry!.warning!, /corrupt/, JSON.stringify(head));
    assert.equal(warnings.length, 1);
    assert.ok(log.reads.length < 10, `${log.reads.length} reads`);
  }
  await dr.close();
  log.close();
});

Deno.test("any store: a data version that is not 32 hex digits is a miss with a warning, never a hit", async () => {
  const store = new MemoryCacheStore();
  let calls = 0;
  const dr = await new Builder()
    .withModules({
      a: () => (calls++, VALUE),
      b: ({ a }: { a: string }) => a.length,
    })
    .withCache({ store }).build();
  const first = await dr.run(["b"]);
  const entry = dr.cache.logs(first.runId).find((e) => e.nodeName === "a")!;
  store.set({
    key: entry.key!,
    dataVersion: "../../victim",
    nodeName: "a",
    codeVersion: "c",
  }, "poison");
  const [result, warnings] = await withWarnings(() => dr.run(["b"]));
  assert.deepEqual(result.outputs, { b: VALUE.length });
  const logs = dr.cache.logs(result.runId);
  const a = logs.find((e) => e.nodeName === "a")!;
  assert.equal(a.outcome, "miss");
  assert.match(a.warning!, /malformed/);
  assert.equal(calls, 2);
  assert.equal(warnings.length, 1);
  await dr.close();
});
