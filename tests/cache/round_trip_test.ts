// What a store gives back is the value it was given (by braid's measure
// and node's isDeepStrictEqual), for random values of every kind braid
// hashes; a value a serialized copy would change is not stored at all.
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import {
  type CacheStore,
  DenoKvCacheStore,
  MemoryCacheStore,
  SqliteCacheStore,
} from "../../mod.ts";
import { dataVersion } from "../../src/cache/data_version.ts";
import { loadHasher } from "../../src/cache/hasher.ts";
import { tempDir } from "./_helpers.ts";

const hasher = await loadHasher();
const VALUES = 1000;

// Errors of built-in and custom classes, with and without causes and fields.
class HttpError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}
const errors = fc.tuple(fc.string(), fc.anything({ maxDepth: 1 }), fc.nat())
  .chain(([message, cause, n]) =>
    fc.constantFrom(
      new Error(message),
      new TypeError(message, { cause }),
      new RangeError(message, { cause: [cause] }),
      Object.assign(new Error(message), { code: n }),
      new HttpError(message, n),
      new AggregateError([cause], message),
    )
  );

const values = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  }),
  errors,
  fc.array(errors, { maxLength: 3 }),
);

async function roundTrips(name: string, store: CacheStore): Promise<void> {
  let stored = 0;
  let refused = 0;
  let key = 0;
  await fc.assert(
    fc.asyncProperty(values, async (value) => {
      const { version, unhashable, lossy } = dataVersion(value, hasher);
      if (unhashable !== undefined) return; // never stored: a unique version
      if (lossy !== undefined && store.keepsReferences !== true) {
        refused++; // what the cache does: log it, store nothing
        return;
      }
      await store.set({
        key: `k${key++}`,
        dataVersion: version,
        nodeName: "n",
        codeVersion: "c",
      }, value);
      const read = await store.getResult(version);
      assert.ok(read.found, `${name}: stored, then not found`);
      assert.ok(
        isDeepStrictEqual(read.value, value),
        `${name}: came back different`,
      );
      assert.equal(dataVersion(read.value, hasher).version, version);
      stored++;
    }),
    { numRuns: VALUES },
  );
  assert.ok(stored > VALUES / 2, `${name}: only ${stored} stored`);
  if (store.keepsReferences !== true) assert.ok(refused > 0, name);
}

Deno.test(`MemoryCacheStore (fast-check): ${VALUES} random values come back as they were`, async () => {
  await roundTrips("memory", new MemoryCacheStore());
});

Deno.test(`SqliteCacheStore (fast-check): ${VALUES} random values come back equal, in the database and in files, or are not stored`, async () => {
  for (const inlineMaxBytes of [65_536, 0]) {
    const path = await tempDir();
    const store = new SqliteCacheStore(path, { inlineMaxBytes });
    try {
      await roundTrips(`sqlite ${inlineMaxBytes}`, store);
    } finally {
      store.close();
      await Deno.remove(path, { recursive: true });
    }
  }
});

Deno.test(`DenoKvCacheStore (fast-check): ${VALUES} random values come back equal, or are not stored`, async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await roundTrips("kv", new DenoKvCacheStore(kv));
  } finally {
    kv.close();
  }
});
