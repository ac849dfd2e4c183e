/**
 * One run's use of the cache: the wrapper any executor puts around a node
 * call. `invoke(node, compute)` answers from the store on a hit, otherwise
 * runs `compute` (a local call, a worker round trip, anything that yields
 * the node's value) and stores its result. Sync stores keep sync nodes
 * sync; async stores make the call a promise.
 *
 * @module
 */
import type { CacheBehavior } from "../modifiers/cache.ts";
import type { Plan, PlanNode } from "../plan.ts";
import { andThen as after, isThenable } from "../_thenable.ts";
import type { Cache, CacheLogEntry, CacheOutcome, RunRecord } from "./cache.ts";
import { type DataVersion, dataVersion } from "./data_version.ts";
import type { CacheRead } from "./store.ts";

/** How one node of a plan is cached, worked out once per plan. */
export interface NodeCacheInfo {
  /** Its behaviour. */
  readonly behavior: CacheBehavior;
  /** Its code version. */
  readonly codeVersion: string;
  /**
   * The start of its key, 16 bytes: the hash of its name, code version and
   * keyed inputs (their names, and which of them the plan provides).
   */
  readonly prefix: Uint8Array;
  /**
   * Which of its arguments go into its key: not those of ignored nodes, nor
   * those the plan does not provide (the prefix says which they are).
   */
  readonly keyed: Int32Array;
  /**
   * The last key made for the node and the bytes it was made of: a run
   * whose inputs have the same data versions as the last one's reuses it.
   */
  readonly memo: KeyMemo;
}

/** The last key made for a node of a plan. */
export interface KeyMemo {
  /** The bytes hashed: the prefix, then 16 bytes per keyed input. */
  input: Uint8Array | undefined;
  /** Their hash. */
  key: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * What a cache lookup found: a hit's value, or a miss that computes the
 * value with the given call (a local call, a worker round trip) and stores it.
 */
export type CacheProbe =
  | { readonly hit: true; readonly value: unknown }
  | { readonly hit: false; compute(call: () => unknown): unknown };

/** Caches the nodes of one run (or one map item). */
export class CacheSession {
  readonly #cache: Cache;
  readonly #infos: readonly NodeCacheInfo[];
  readonly #values: unknown[];
  readonly #seeds: WeakMap<object, DataVersion>;
  readonly #item: number | undefined;
  readonly #run: RunRecord;
  // Data versions by slot: node values as they settle, seeds when first needed.
  readonly #versions: (string | undefined)[];
  // The same as 16 bytes each, made when a key first needs them: `#binary`
  // holds slot i's at 16 * i once `#decoded[i]` is 1.
  readonly #binary: Uint8Array;
  readonly #decoded: Uint8Array;
  readonly #unhashable: (string | undefined)[];
  readonly #outcomes: (CacheOutcome | undefined)[];
  // Nodes that run again whatever the store holds (a re-execution's).
  readonly #recompute: ReadonlySet<string> | undefined;
  // The content hashes loaders reported, by node index (made on the first).
  #contents: (string | undefined)[] | undefined;

  /** Use `Cache.session`. */
  constructor(
    cache: Cache,
    infos: readonly NodeCacheInfo[],
    values: unknown[],
    record: RunRecord,
    item: number | undefined,
    recompute?: ReadonlySet<string>,
  ) {
    this.#cache = cache;
    this.#recompute = recompute;
    this.#infos = infos;
    this.#values = values;
    this.#seeds = record.seeds;
    this.#item = item;
    this.#run = record;
    this.#versions = new Array(values.length);
    this.#binary = new Uint8Array(16 * values.length);
    this.#decoded = new Uint8Array(values.length);
    this.#unhashable = new Array(values.length);
    this.#outcomes = new Array(infos.length);
  }

  /** Caches one item of a fan-out block of this run, which runs `plan`. */
  forItem(plan: Plan, values: unknown[], item: number): CacheSession {
    return this.#cache.recordSession(
      plan,
      this.#run,
      values,
      item,
      this.#recompute,
    );
  }

  /** What the cache did for `node` in this run, once it has settled. */
  outcome(node: PlanNode): CacheOutcome | undefined {
    return this.#outcomes[node.index];
  }

  /**
   * Loader `node` read content that hashes to `contentHash`: its value's
   * data version is made from that and its key (what it was asked to
   * read, and how), not by hashing the value it made of it.
   */
  contentRead(node: PlanNode, contentHash: string): void {
    (this.#contents ??= new Array(this.#infos.length))[node.index] =
      contentHash;
  }

  /**
   * The node's value: from the store on a hit, else from `compute()`,
   * stored. Store failures are misses with a warning, never run failures;
   * errors from `compute` propagate unchanged.
   */
  invoke(node: PlanNode, compute: () => unknown): unknown {
    return after(
      this.lookup(node),
      (probe) => probe.hit ? probe.value : probe.compute(compute),
    );
  }

  /**
   * Looks `node` up without running it: a hit with its value (already in
   * the log), or a miss whose `compute` runs the node and stores its value.
   * Lets hooks tell a hit from a call before the call (`nodeCached`).
   */
  lookup(node: PlanNode): CacheProbe | Promise<CacheProbe> {
    const info = this.#infos[node.index]!;
    const behavior = info.behavior;
    if (behavior === "disable" || behavior === "ignore") {
      return {
        hit: false,
        compute: (compute) =>
          after(compute(), (value) => {
            const version = `unversioned:${crypto.randomUUID()}`;
            this.#versions[node.index] = version;
            this.#record(node, {
              nodeName: node.name,
              outcome: behavior === "disable" ? "disabled" : "ignored",
              dataVersion: version,
            });
            return value;
          }),
      };
    }
    const key = this.#key(node, info);
    if (
      behavior === "recompute" || this.#recompute?.has(node.name) === true
    ) {
      return this.#miss(node, key, "recompute");
    }
    const store = this.#cache.store;
    if (store.lookup !== undefined) {
      return attempt(
        () => store.lookup!(key),
        (found) =>
          found === undefined
            ? this.#miss(node, key, "miss")
            : this.#hit(node, key, found.dataVersion, found.read),
        (warning) => this.#miss(node, key, "miss", warning),
      );
    }
    return attempt(
      () => store.getVersion(key),
      (stored) =>
        stored === undefined
          ? this.#miss(node, key, "miss")
          : this.#read(node, key, stored),
      (warning) => this.#miss(node, key, "miss", warning),
    );
  }

  #read(
    node: PlanNode,
    key: string,
    version: string,
  ): CacheProbe | Promise<CacheProbe> {
    if (!this.#wellFormed(version)) {
      return this.#miss(node, key, "miss", malformed(version));
    }
    return attempt(
      () => this.#cache.store.getResult(version),
      (read: CacheRead): CacheProbe => this.#hit(node, key, version, read),
      (warning) => this.#miss(node, key, "miss", warning),
    );
  }

  #hit(
    node: PlanNode,
    key: string,
    version: string,
    read: CacheRead,
  ): CacheProbe {
    if (!read.found) return this.#miss(node, key, "miss", read.warning);
    if (!this.#wellFormed(version)) {
      return this.#miss(node, key, "miss", malformed(version));
    }
    this.#versions[node.index] = version;
    this.#record(node, {
      nodeName: node.name,
      outcome: "hit",
      key,
      dataVersion: version,
    });
    return { hit: true, value: read.value };
  }

  #miss(
    node: PlanNode,
    key: string,
    outcome: CacheOutcome,
    warning?: string,
  ): CacheProbe {
    const info = this.#infos[node.index]!;
    return {
      hit: false,
      compute: (compute) =>
        this.#compute(node, info, key, compute, outcome, warning),
    };
  }

  #compute(
    node: PlanNode,
    info: NodeCacheInfo,
    key: string,
    compute: () => unknown,
    outcome: CacheOutcome,
    warning: string | undefined,
  ): unknown {
    if (warning !== undefined) {
      console.warn(`braid cache: "${node.name}" recomputed: ${warning}`);
    }
    return after(compute(), (value) => {
      const content = this.#contents?.[node.index];
      if (content !== undefined) {
        return this.#loaded(node, info, key, outcome, content, value);
      }
      const hasher = this.#cache.hasher;
      const { version, unhashable, lossy } = dataVersion(value, hasher);
      const size = hasher.length; // what was hashed: about the value's size
      this.#versions[node.index] = version;
      const entry: Mutable<CacheLogEntry> = {
        nodeName: node.name,
        outcome,
        key,
        dataVersion: version,
      };
      if (warning !== undefined) entry.warning = warning;
      const inputProblem = this.#inputProblems(node, info);
      if (unhashable !== undefined || inputProblem !== undefined) {
        entry.unhashable = (unhashable ?? inputProblem)!;
      }
      if (unhashable !== undefined) {
        // A unique version can never be asked for again: nothing to store.
        entry.notStored = `its value cannot be hashed: ${unhashable}`;
        this.#record(node, entry);
        return value;
      }
      if (lossy !== undefined && this.#cache.store.keepsReferences !== true) {
        entry.notStored = `a stored copy would differ: ${lossy}`;
        this.#record(node, entry);
        return value;
      }
      return attempt(
        () =>
          this.#cache.store.set({
            key,
            dataVersion: version,
            nodeName: node.name,
            codeVersion: info.codeVersion,
            size,
          }, value),
        () => {
          this.#record(node, entry);
          return value;
        },
        (problem) => {
          entry.notStored = problem;
          this.#record(node, entry);
          return value;
        },
      );
    });
  }

  // A loader's value, versioned by the content it read. It is not stored:
  // a loader reads again on every run (that is how it sees a changed
  // file), so a stored copy would never be read.
  #loaded(
    node: PlanNode,
    info: NodeCacheInfo,
    key: string,
    outcome: CacheOutcome,
    content: string,
    value: unknown,
  ): unknown {
    const version = this.#cache.hasher.hashText(
      `braid loaded\0${key}\0${content}`,
    );
    this.#versions[node.index] = version;
    const entry: Mutable<CacheLogEntry> = {
      nodeName: node.name,
      outcome,
      key,
      dataVersion: version,
      notStored: "a loader reads its source again on every run",
    };
    const inputProblem = this.#inputProblems(node, info);
    if (inputProblem !== undefined) entry.unhashable = inputProblem;
    this.#record(node, entry);
    return value;
  }

  #record(node: PlanNode, entry: Mutable<CacheLogEntry>): void {
    if (this.#item !== undefined) entry.item = this.#item;
    entry.codeVersion = this.#infos[node.index]!.codeVersion;
    this.#outcomes[node.index] = entry.outcome;
    this.#cache.addLog(this.#run, entry);
  }

  // The hash of the node's prefix and each keyed input's data version, as
  // fixed-size binary; the node's last key when those bytes recur.
  #key(node: PlanNode, info: NodeCacheInfo): string {
    const keyed = info.keyed;
    const size = 16 * (keyed.length + 1);
    if (scratch.length < size) scratch = new Uint8Array(2 * size);
    const input = scratch;
    input.set(info.prefix);
    const binary = this.#binary;
    for (let i = 0; i < keyed.length; i++) {
      const k = keyed[i]!;
      const slot = node.argSlots[k]!;
      const to = 16 * (i + 1);
      if (slot < 0) {
        // Omitted, with a literal default: keyed as that default would be.
        decodeHex(this.#defaultVersion(node, k), input, to);
        continue;
      }
      const from = this.#binaryOf(slot);
      for (let b = 0; b < 16; b++) input[to + b] = binary[from + b]!;
    }
    const memo = info.memo;
    const last = memo.input;
    if (last !== undefined && last.length === size) {
      let b = 16; // the prefix is the node's own: the same
      while (b < size && last[b] === input[b]) b++;
      if (b === size) return memo.key;
    }
    const key = this.#cache.hasher.hashBytes(input.subarray(0, size));
    memo.input = input.slice(0, size);
    memo.key = key;
    return key;
  }

  // Whether a store's data version has the form of one braid writes, a
  // string of 32 characters: anything else came from a damaged or crafted
  // store. (That they are hex digits braid's stores check as they read a
  // row; one that is not never reaches a key: see #binaryOf.) The full
  // check here would cost a warm hit about 7%.
  #wellFormed(version: unknown): boolean {
    return typeof version === "string" && version.length === 32;
  }

  // Where slot's data version starts in #binary, decoded on first use. A
  // version that is not 32 hex digits (a unique one: unhashable, unversioned;
  // or a malformed one from a store) gets 16 random bytes, which no other
  // key will ever contain.
  #binaryOf(slot: number): number {
    const at = 16 * slot;
    if (this.#decoded[slot] === 1) return at;
    const version = this.#versionOf(slot);
    if (!decodeHex(version, this.#binary, at)) {
      crypto.getRandomValues(this.#binary.subarray(at, at + 16));
    }
    this.#decoded[slot] = 1;
    return at;
  }

  // An omitted optional input keys as its default would, when the function
  // writes that default as a literal (Hamilton keys with default values).
  #defaultVersion(node: PlanNode, k: number): string {
    const input = node.spec.inputs[k]!;
    let version = defaultVersions.get(input);
    if (version === undefined) {
      version = dataVersion(input.defaultValue, this.#cache.hasher).version;
      defaultVersions.set(input, version);
    }
    return version;
  }

  #versionOf(slot: number): string {
    let version = this.#versions[slot];
    if (version === undefined) {
      // A seed (input, override, config), hashed once per run when needed.
      const value = this.#values[slot];
      const isObject = typeof value === "object" && value !== null;
      let hashed = isObject ? this.#seeds.get(value) : undefined;
      if (hashed === undefined) {
        hashed = dataVersion(value, this.#cache.hasher);
        if (isObject) this.#seeds.set(value, hashed);
      }
      version = this.#versions[slot] = hashed.version;
      if (hashed.unhashable !== undefined) {
        this.#unhashable[slot] = hashed.unhashable;
      }
    }
    return version;
  }

  #inputProblems(node: PlanNode, info: NodeCacheInfo): string | undefined {
    for (let i = 0; i < info.keyed.length; i++) {
      const k = info.keyed[i]!;
      const slot = node.argSlots[k]!;
      if (slot < 0) continue; // a literal default
      const problem = this.#unhashable[slot];
      if (problem !== undefined) {
        return `input "${node.argKeys[k]}" cannot be hashed: ${problem}`;
      }
    }
    return undefined;
  }
}

// The data versions of literal defaults, by the input that declares one.
const defaultVersions = new WeakMap<object, string>();

// The bytes keys are put together in, shared: a key is made synchronously.
let scratch = new Uint8Array(256);

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX["0123456789abcdef".charCodeAt(i)] = i;
}

/** Writes the 16 bytes 32 lowercase hex digits stand for at `at`; false if they are not such digits. */
export function decodeHex(hex: string, into: Uint8Array, at: number): boolean {
  if (hex.length !== 32) return false;
  for (let i = 0; i < 16; i++) {
    const high = HEX[hex.charCodeAt(2 * i)] ?? -1;
    const low = HEX[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (high < 0 || low < 0) return false;
    into[at + i] = (high << 4) | low;
  }
  return true;
}

// Applies `next` to a value or, once settled, to a promise's value.
// Runs a store operation: `next` with its answer, or `fallback` with a
// message when it throws or rejects. Sync answers stay sync.
function attempt<T, R>(
  operation: () => T | Promise<T>,
  next: (answer: T) => R | Promise<R>,
  fallback: (problem: string) => R | Promise<R>,
): R | Promise<R> {
  let answer: T | Promise<T>;
  try {
    answer = operation();
  } catch (error) {
    return fallback(messageOf(error));
  }
  if (!isThenable(answer)) return next(answer as T);
  return (answer as Promise<T>).then(
    next,
    (error) => fallback(messageOf(error)),
  );
}

function malformed(given: unknown): string {
  const version = String(given);
  const shown = version.length > 80 ? `${version.slice(0, 80)}...` : version;
  return `the store gave a malformed data version ${
    JSON.stringify(shown)
  } (braid writes 32 hex digits): ignored`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
