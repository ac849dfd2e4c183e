// A cache directory that cannot be used as it is (corrupt, on a full disk,
// read-only) never stops a driver: it builds without the cache (or with it
// read-only), warns once naming the directory and the fix, and the first
// recorded run says the same in a "warning" event. `strict` makes it fail.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Builder, CacheError, type ExecutionEvent } from "../../mod.ts";
import { runDeno } from "../_deno.ts";
import { tempDir, withWarnings } from "./_helpers.ts";

const damages: [string, (path: string) => Promise<void>, RegExp][] = [
  ["corrupt", async (path) => {
    await Deno.mkdir(path, { recursive: true });
    const junk = new Uint8Array(8192).map((_, i) => (i * 7919) % 251);
    await Deno.writeFile(join(path, "metadata.sqlite"), junk);
  }, /file is not a database.*Fix: delete /],
  // /dev/full takes no write: SQLite reports "database or disk is full".
  ["full", async (path) => {
    await Deno.mkdir(path, { recursive: true });
    await Deno.symlink("/dev/full", join(path, "metadata.sqlite"));
  }, /database or disk is full.*Fix: free space on the disk/],
];

function driver(path: string, strict?: boolean) {
  let calls = 0;
  const built = new Builder()
    .withModules({ a: () => (calls++, 1), b: ({ a }: { a: number }) => a + 1 })
    .withCache(strict === undefined ? { path } : { path, strict }).build();
  return { built, calls: () => calls };
}

async function collect(
  events: AsyncIterable<ExecutionEvent>,
): Promise<ExecutionEvent[]> {
  const out: ExecutionEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

for (const [kind, damage, message] of damages) {
  Deno.test(`cache: a ${kind} cache lets build() succeed with the cache off, one warning naming the path and the fix, and a warning event on the first recorded run`, async () => {
    const root = await tempDir();
    const path = join(root, "cache");
    await damage(path);
    const { built, calls } = driver(path);
    const [dr, warnings] = await withWarnings(() => built);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(path), warnings[0]);
    assert.match(warnings[0]!, message);
    assert.match(warnings[0]!, /disabled/);
    assert.equal(dr.cache.enabled, false);
    const first = await collect(dr.stream(["b"]));
    const later = await collect(dr.stream(["b"]));
    const warned = first.filter((e) => e.type === "warning");
    assert.equal(warned.length, 1);
    assert.equal(
      warned[0]!.type === "warning" && warned[0]!.message,
      warnings[0],
    );
    assert.equal(first[0]!.type, "runStarted");
    assert.deepEqual(later.filter((e) => e.type === "warning"), []);
    assert.equal(calls(), 2); // nothing cached: every run runs every node
    const run = await dr.run(["b"]);
    assert.deepEqual(run.outputs, { b: 2 });
    assert.deepEqual(
      dr.cache.logs(run.runId).map((e) => e.outcome),
      ["disabled", "disabled"],
    );
    await dr.close();
    await Deno.remove(root, { recursive: true });
  });

  Deno.test(`cache: a ${kind} cache with strict: true rejects build() with a CacheError naming the path`, async () => {
    const root = await tempDir();
    const path = join(root, "cache");
    await damage(path);
    const [error, warnings] = await withWarnings(() =>
      driver(path, true).built.then(() => undefined, (e) => e)
    );
    assert.ok(error instanceof CacheError, String(error));
    assert.equal(error.path, path);
    assert.match(error.message, new RegExp(`Cannot open the cache in ${path}`));
    // The same reason and fix as the warning, as one sentence.
    const [reason, fix] = message.source.split(".*Fix: ");
    assert.match(error.message, new RegExp(`${reason}; ${fix}`));
    assert.deepEqual(warnings, []);
    await Deno.remove(root, { recursive: true });
  });
}

Deno.test("cache: a cache this process may only read is used read-only: hits are served, nothing is stored, one warning says so", async () => {
  const root = await tempDir();
  const path = join(root, "cache");
  // Filled by a process that may write: "a" is cached, "b" is not.
  const writer = await new Builder()
    .withModules({ a: () => "a".repeat(100) })
    .withCache({ path }).build();
  await writer.execute(["a"]);
  await writer.close();
  const child = new URL("./_read_only_child.ts", import.meta.url);
  const out = await runDeno(["run", "--allow-read", child.href, path]);
  assert.equal(out.code, 0, out.stderr);
  const report = JSON.parse(out.stdout);
  assert.equal(report.enabled, true);
  assert.equal(report.logs[0].nodeName, "a");
  assert.equal(report.logs[0].outcome, "hit");
  assert.equal(report.logs[1].outcome, "miss");
  assert.match(report.logs[1].notStored, /read-only/);
  assert.equal(report.warnings.length, 1);
  assert.match(report.warnings[0], /read-only/);
  assert.ok(report.warnings[0].includes(path));
  assert.match(report.warnings[0], /Fix: allow writing to/);
  assert.equal(report.streamWarnings.length, 1);
  assert.equal(report.streamWarnings[0].message, report.warnings[0]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("withCache rejects bad strict and logEntries options in std style", () => {
  assert.throws(
    () => new Builder().withCache({ strict: "yes" as unknown as boolean }),
    /'strict' must be a boolean: received yes/,
  );
  assert.throws(
    () => new Builder().withCache({ logEntries: -1 }),
    /'logEntries' must be a non-negative integer: received -1/,
  );
});
