/**
 * braid against a hand-written baseline (the same node functions called
 * directly) and the peer libraries p-graph and grfn, in one run:
 *
 *     deno task bench          # every scenario
 *     deno task bench b g      # only scenarios b and g
 *
 * Nodes take declared inputs, `fn({ dep: value })`, and every runner calls
 * the same functions with the same argument objects; a2, b2 and f1 use a
 * generated module of positional functions whose parameters braid parses.
 * See `_harness.ts` for how times are taken.
 *
 * @module
 */
import {
  Builder,
  DriverFactory,
  Engine,
  inputs,
  MemoryCacheStore,
  named,
  node,
  type NodeDef,
  OpenTelemetryAdapter,
  Pipeline,
  ProcessExecutor,
  ProgressBar,
  RemoteExecutor,
  serveViewer,
  SqliteRunStore,
} from "../mod.ts";
import { IGNORES_INPUTS } from "../src/hooks.ts";
import { trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { dataVersion } from "../src/cache/data_version.ts";
import { loadHasher } from "../src/cache/hasher.ts";
import * as G from "./_graphs.ts";
import { contentHashRow, csvRow, withColumnsRow } from "./_dataio.ts";
import {
  measure,
  median,
  peerTargets,
  record,
  report,
  type Row,
  scenario,
  target,
} from "./_harness.ts";

const N = 10_000;
const ORDER =
  "a a2 b b2 c d e g g2 k k2 p1 p2 p3 p3b s1 o1 o2 o3 o1b o2b o3b pb1 pb1b pb1c ot1 ot1b ot2 v1 f1 f1b f2 f2b h1 h2 h3 h4 h5 i1 i2 w1 w2 w3 w3b w4 t1 t1b t2 t2b r1 df l1 l1b l1c x1 x2 q1 q1b q2 q3 io1 io2 io3 rs1 rs2 rs3"
    .split(" ");
const only = new Set(Deno.args);
const wanted = (...ids: string[]) =>
  only.size === 0 || ids.some((id) => only.has(id));
type Executor = "sequential" | "async";

/** The hooks a ProgressBar has, doing nothing: what braid's dispatch costs. */
class NoOpHooks {
  readonly [IGNORES_INPUTS] = true;
  validateGraph(): void {}
  beforeGraphExecution(_: unknown): void {}
  afterGraphExecution(_: unknown): void {}
  beforeMap(_: unknown): void {}
  afterMap(_: unknown): void {}
  afterTaskExpand(_: unknown): void {}
  afterMapItem(_: unknown): void {}
  afterNodeExecution(_: unknown): void {}
  nodeCached(_: unknown): void {}
}

/** braid, hand-written and (with `peers`) p-graph and grfn on one DAG, ns/node. */
async function dagRow(
  id: string,
  label: string,
  g: G.Dag,
  executor: Executor,
  peers: boolean,
): Promise<Row> {
  const dr = await new Builder().withModules(G.braidModule(g))
    .withExecutor(executor).build();
  return await scenario(id, label, "ns/node", 1e6 / g.names.length, {
    braid: async () => (await dr.execute([g.sink]))[g.sink],
    hand: executor === "sequential" ? G.handSync(g) : G.handAsync(g),
    ...(peers ? { pgraph: G.pgraphRunner(g), grfn: G.grfnRunner(g) } : {}),
  });
}

// Builds (f2, then f1) run first, as they do in an application: at start-up,
// before the garbage of the other scenarios weighs on them.
// f2. build with declared inputs: node(fn, named(..), inputs([...])) + build().
if (wanted("f2", "f2b")) {
  const g = G.chain(N, "sync");
  const deps = g.deps.map((d) => d.map((j) => g.names[j]!));
  const defs = () => {
    const mod: Record<string, NodeDef> = {};
    for (let i = 0; i < N; i++) {
      mod[`d${i}`] = node(g.fns[i]!, named(g.names[i]!), inputs(deps[i]!));
    }
    return mod;
  };
  const size = (dr: { listAvailableVariables(): unknown[] }) =>
    dr.listAvailableVariables().length;
  const f2 = await scenario(
    "f2",
    `build ${N}, declared inputs`,
    "ns/node",
    1e6 / N,
    {
      braid: async () => size(await new Builder().withModules(defs()).build()),
      ...G.peerBuilders(g),
    },
  );
  // Stricter than the target (which is about building): node() also records
  // where each definition was made, for workers to import (a stack capture).
  target("f2", "braid ns/node, node() defs + build()", f2.braid!, 500, true);
  const mod = defs();
  const f2b = await scenario(
    "f2b",
    "  same, build() only",
    "ns/node",
    1e6 / N,
    {
      braid: async () => size(await new Builder().withModules(mod).build()),
    },
  );
  target("f2b", "braid ns/node, build() only", f2b.braid!, 500);
  // Issue 19's tighter goal for the same build.
  target("f2b", "braid ns/node, build() only", f2b.braid!, 300, true);
}

const dir = await Deno.makeTempDir({ prefix: "braid-bench-" });
try {
  type Mod = Record<string, G.ChainFn>;
  const url = await G.writeChainModule(dir, "n", N, false);
  const load = async (k: number): Promise<Mod> => await import(`${url}?k=${k}`);

  // f1. build with parsed parameters; a fresh module instance per build
  // (parsing is cached per function object), then once more with the cache warm.
  if (wanted("f1", "f1b")) {
    const builds: number[] = [];
    for (let k = 1; k <= 7; k++) {
      const mod = await load(k);
      const t0 = performance.now();
      await new Builder().withModules(mod).build();
      if (k > 2) builds.push(performance.now() - t0);
    }
    const label = `build ${N}, parsed params`;
    const f1 = record({
      id: "f1",
      label,
      unit: "ns/node",
      braid: median(builds) * 1e6 / N,
    });
    target("f1", "braid ns/node", f1.braid!, 2000);
    // Issue 19's tighter goal for the same build.
    target("f1", "braid ns/node", f1.braid!, 1000, true);
    const mod = await load(1);
    const t0 = performance.now();
    await new Builder().withModules(mod).build();
    const braid = (performance.now() - t0) * 1e6 / N;
    record({
      id: "f1b",
      label: "  same, parse cache warm",
      unit: "ns/node",
      braid,
    });
  }

  // a. sequential executor, sync chain.
  if (wanted("a")) {
    const g = G.chain(N, "sync");
    const a = await dagRow(
      "a",
      `sync chain ${N}, sequential`,
      g,
      "sequential",
      false,
    );
    target("a", "braid/hand-written", a.braid! / a.hand!, 1.5);
  }
  if (wanted("a2")) {
    const mod = await load(0);
    const dr = await new Builder().withModules(mod).build();
    const fns = Array.from(
      { length: N },
      (_, i) => mod[`n${i}`] as (x?: number) => number,
    );
    const a2 = await scenario(
      "a2",
      `sync chain ${N}, parsed positional`,
      "ns/node",
      1e6 / N,
      {
        braid: async () => (await dr.execute([`n${N - 1}`]))[`n${N - 1}`],
        hand: () => {
          let v = fns[0]!();
          for (let i = 1; i < N; i++) v = fns[i]!(v);
          return v;
        },
      },
    );
    target("a2", "braid/hand-written", a2.braid! / a2.hand!, 1.5, true);
  }

  // b-d. async executor against the peers.
  if (wanted("b")) {
    const g = G.chain(N, "async");
    peerTargets("b", await dagRow("b", `async chain ${N}`, g, "async", true));
  }
  if (wanted("b2")) {
    const mod: Mod = await import(await G.writeChainModule(dir, "m", N, true));
    const dr = await new Builder().withModules(mod).withExecutor("async")
      .build();
    const fns = Array.from({ length: N }, (_, i) => mod[`m${i}`]!);
    const b2 = await scenario(
      "b2",
      `async chain ${N}, parsed positional`,
      "ns/node",
      1e6 / N,
      {
        braid: async () => (await dr.execute([`m${N - 1}`]))[`m${N - 1}`],
        ...G.positionalChainRunners(fns),
      },
    );
    peerTargets("b2", b2, true);
  }
  if (wanted("c")) {
    const g = G.fanOut(1000);
    peerTargets(
      "c",
      await dagRow("c", "fan-out 1+1000+sink", g, "async", true),
    );
  }
  if (wanted("d")) {
    const g = G.layered(100, 20);
    peerTargets(
      "d",
      await dagRow("d", "layers 100x20 (+sink)", g, "async", true),
    );
  }

  // e. 1,000 nodes awaiting a 20 ms timer: wall time.
  if (wanted("e")) {
    const g = G.timers(1000, 20);
    const dr = await new Builder().withModules(G.braidModule(g)).withExecutor(
      "async",
    ).build();
    const e = await scenario("e", "1000 x 20 ms timers (wall)", "ms", 1, {
      braid: async () => (await dr.execute([g.sink]))[g.sink],
      hand: G.handAsync(g),
      pgraph: G.pgraphRunner(g),
      grfn: G.grfnRunner(g),
    }, 2000);
    target("e", "braid wall ms", e.braid!, 30);
  }

  // g. driver.map over 10,000 items of a 3-node async chain (x -> a -> b -> c).
  if (wanted("g", "g2")) {
    const xs = Array.from({ length: N }, (_, i) => i);
    const peers = G.mapRunners(xs);
    for (
      const [id, executor] of [["g", "async"], ["g2", "sequential"]] as const
    ) {
      if (!wanted(id)) continue;
      const dr = await new Builder().withModules(G.mapModule).withExecutor(
        executor,
      ).build();
      const par = executor === "async";
      const row = await scenario(
        id,
        `map ${N} x 3-node chain, ${executor}`,
        "ns/node",
        1e6 / (3 * N),
        {
          braid: () => dr.map(["c"], { inputs: { x: xs }, mapOver: "x" }),
          hand: par ? peers.handConcurrent : peers.handSequential,
          ...(par ? { pgraph: peers.pgraph, grfn: peers.grfn } : {}),
        },
        4000,
        3,
      );
      target(id, "braid ns/node execution", row.braid!, 250);
    }
  }

  // k. a parallelizable block: 10,000 items, each through a 3-node chain,
  // collected into one sum.
  if (wanted("k", "k2")) {
    const xs = Array.from({ length: N }, (_, i) => i);
    const hand = G.fanOutRunners(xs);
    for (
      const [id, executor] of [["k", "async"], ["k2", "sequential"]] as const
    ) {
      if (!wanted(id)) continue;
      const dr = await new Builder().withModules(G.fanOutModule(xs))
        .withExecutor(executor).build();
      const row = await scenario(
        id,
        `fan-out ${N} items x 3-node block, ${executor}`,
        "ns/node",
        1e6 / (3 * N),
        {
          braid: async () => (await dr.execute(["total"])).total,
          hand: executor === "async"
            ? hand.handConcurrent
            : hand.handSequential,
        },
        4000,
        3,
      );
      target(id, "braid ns/node execution", row.braid!, 2000);
    }
  }

  // p1, p2. Pipeline.map over 10,000 items of the same 3-node chain, with
  // the sequential and the async map executor (sequential node executor).
  if (wanted("p1", "p2")) {
    const xs = Array.from({ length: N }, (_, i) => i);
    const peers = G.mapRunners(xs);
    const rows: Record<string, number> = {};
    for (
      const [id, mapExecutor] of [["p1", "sequential"], [
        "p2",
        "async",
      ]] as const
    ) {
      if (!wanted(id)) continue;
      const pipeline = new Pipeline({
        nodes: G.mapNodes,
        engine: new Engine({ mapExecutor }),
      });
      const par = mapExecutor === "async";
      const row = await scenario(
        id,
        `Pipeline.map ${N} x 3 nodes, ${mapExecutor} map`,
        "ns/node",
        1e6 / (3 * N),
        {
          braid: () =>
            pipeline.map({ inputs: { x: xs }, mapOver: "x", outputs: ["c"] }),
          hand: par ? peers.handConcurrent : peers.handSequential,
        },
        4000,
        3,
      );
      rows[id] = row.braid!;
      target(id, "braid ns/node execution", row.braid!, 300);
    }
    if (rows.p1 !== undefined && rows.p2 !== undefined) {
      target("p2", "async map / sequential map", rows.p2 / rows.p1, 2);
    }
  }

  // p3. A 2-level nested map (100 outer items, each mapping a nested
  // pipeline over 100 inner items) against the same 10,000 items flat.
  if (wanted("p3", "p3b")) {
    const side = Math.round(Math.sqrt(N));
    const lists = Array.from(
      { length: side },
      (_, i) => Array.from({ length: side }, (_, j) => i * side + j),
    );
    const flat = lists.flat();
    const inner = new Pipeline({ nodes: G.mapNodes });
    const outer = new Pipeline({
      nodes: [inner.asNode({
        name: "inner",
        mapOver: "x",
        outputMapping: { c: "cs" },
      })],
    });
    const nested = await scenario(
      "p3",
      `nested map ${side} x ${side} x 3 nodes`,
      "ns/node",
      1e6 / (3 * N),
      {
        braid: async () =>
          (await outer.map({ inputs: { x: lists }, mapOver: "x" }))
            .flatMap((o) => o.cs as number[]),
      },
      4000,
      3,
    );
    const flattened = await scenario(
      "p3b",
      `  same ${N} items flat`,
      "ns/node",
      1e6 / (3 * N),
      {
        braid: async () =>
          (await inner.map({
            inputs: { x: flat },
            mapOver: "x",
            outputs: ["c"],
          })).map((o) => o.c as number),
      },
      4000,
      3,
    );
    target("p3", "nested / flat", nested.braid! / flattened.braid!, 2);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}

// s1. stream() with mapOver against map() over the same 100,000 items of
// the 3-node async chain: what reading every node event and item progress
// costs on top of the map.
if (wanted("s1")) {
  const n = 100_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const dr = await new Builder().withModules(G.mapModule).withExecutor("async")
    .build();
  const request = { inputs: { x: xs }, mapOver: "x" };
  const row = await scenario(
    "s1",
    `stream() of map ${n} x 3 nodes, vs map()`,
    "ns/node",
    1e6 / (3 * n),
    {
      braid: async () => {
        let items = 0;
        for await (const e of dr.stream(["c"], request)) {
          if (e.type === "mapItem") items++;
        }
        return items;
      },
      hand: async () => (await dr.map(["c"], request)).length,
    },
    6000,
    3,
  );
  target("s1", "stream()/map()", row.braid! / row.hand!, 1.5);
}

// o1-o3. What observability rides on, per node of a 10,000-node chain of
// async nodes (async executor), against execute() with no adapter: one
// adapter with one no-op node hook (o1), run()'s record (o2), stream()'s
// events (o3). o1b-o3b: the same on a chain of sync nodes (sequential
// executor), where braid's own cost per node is smallest.
for (
  const [suffix, kind, executor] of [
    ["", "async", "async"],
    ["b", "sync", "sequential"],
  ] as const
) {
  const ids = ["o1", "o2", "o3"].map((id) => id + suffix);
  if (!wanted(...ids)) continue;
  const g = G.chain(N, kind);
  const bare = await new Builder().withModules(G.braidModule(g))
    .withExecutor(executor).build();
  const hooked = await new Builder().withModules(G.braidModule(g))
    .withExecutor(executor).withAdapters({ beforeNodeExecution() {} }).build();
  const execute = async () => (await bare.execute([g.sink]))[g.sink];
  const stricter = suffix !== "";
  const what = `${kind} chain ${N}, ${executor}`;
  const [o1, o2, o3] = ids as [string, string, string];
  if (wanted(o1)) {
    const row = await scenario(
      o1,
      `${what}: 1 no-op node hook`,
      "ns/node",
      1e6 / N,
      {
        braid: async () => (await hooked.execute([g.sink]))[g.sink],
        hand: execute,
      },
    );
    target(o1, "hooked/no adapter", row.braid! / row.hand!, 2, stricter);
  }
  if (wanted(o2)) {
    const row = await scenario(o2, `${what}: run()`, "ns/node", 1e6 / N, {
      braid: async () => (await bare.run([g.sink])).outputs![g.sink],
      hand: execute,
    });
    target(o2, "run()/execute()", row.braid! / row.hand!, 2, stricter);
  }
  if (wanted(o3)) {
    const row = await scenario(o3, `${what}: stream()`, "ns/node", 1e6 / N, {
      // Both answer whether the run succeeded: events carry no values.
      braid: async () => {
        let success = false;
        for await (const e of bare.stream([g.sink])) {
          if (e.type === "runFinished") success = e.success;
        }
        return success;
      },
      hand: async () => (await execute(), true),
    });
    target(o3, "stream()/execute()", row.braid! / row.hand!, 3, stricter);
  }
}

// pb1-pb1c. A progress bar on a map of 100,000 items of the 3-node async
// chain, drawing on a terminal that drops what it is sent (redraws every
// 100 ms): against no adapter (pb1: the target), and against an adapter
// whose methods are the same hooks doing nothing (pb1b: what is left is the
// bar's own work, within this machine's noise); pb1c times that work alone:
// the hook calls one item brings (its run's start and end, three node ends,
// the item's end) made directly on the bar and on the no-op adapter.
if (wanted("pb1", "pb1b", "pb1c")) {
  const n = 100_000;
  const xs = Array.from({ length: n }, (_, i) => i);
  const request = { inputs: { x: xs }, mapOver: "x" };
  const build = (...adapters: object[]) =>
    new Builder().withModules(G.mapModule).withExecutor("async")
      .withAdapters(...adapters).build();
  const dropped = {
    isTerminal: () => true,
    writeSync: (p: Uint8Array) => p.length,
  };
  const bare = await build();
  const bar = await build(new ProgressBar({ stream: dropped }));
  const sameHooks = await build(new NoOpHooks());
  const runs = [bar, bare, sameHooks].map((dr) => async () =>
    (await dr.map(["c"], request)).length
  );
  for (const run of runs) {
    if (await run() !== n) throw new Error("pb1: a map lost items");
  }
  const [withBar, without, hooksOnly] = (await measure(runs, 12000, 3)).map(
    (ms) => ms * 1e6 / n,
  ) as [number, number, number];
  record({
    id: "pb1",
    label: `map ${n} x 3 nodes: ProgressBar (hand: no adapter)`,
    unit: "ns/item",
    braid: withBar,
    hand: without,
  });
  target("pb1", "ProgressBar - no adapter, ns/item", withBar - without, 200);
  record({
    id: "pb1b",
    label: `map ${n} x 3 nodes: ProgressBar (hand: no-op, same hooks)`,
    unit: "ns/item",
    braid: withBar,
    hand: hooksOnly,
  });
  const calls = (adapter: NoOpHooks | ProgressBar) => () => {
    const runId = crypto.randomUUID();
    const map = { runId, items: n, mapMode: "zip", tags: {} } as const;
    adapter.beforeMap(map);
    const graph = {
      runId,
      finalVars: ["c"],
      inputs: {},
      overrides: {},
      tags: {},
    };
    const node = {
      runId,
      nodeName: "a",
      tags: {},
      inputs: {},
      taskId: "t",
      success: true,
      durationMs: 0,
    };
    for (let i = 0; i < n; i++) {
      const before = { ...graph, item: i };
      adapter.beforeGraphExecution(before);
      adapter.afterNodeExecution({ ...node, item: i });
      adapter.afterNodeExecution({ ...node, nodeName: "b", item: i });
      adapter.afterNodeExecution({ ...node, nodeName: "c", item: i });
      adapter.afterGraphExecution({ ...before, success: true });
      adapter.afterMapItem({
        runId,
        item: i,
        done: i + 1,
        total: n,
        success: true,
      });
    }
    adapter.afterMap({ ...map, success: true, durationMs: 0 });
    return n;
  };
  const own = await scenario(
    "pb1c",
    "the hook calls of one map item, on ProgressBar (hand: no-op)",
    "ns/item",
    1e6 / n,
    {
      braid: calls(new ProgressBar({ stream: dropped })),
      hand: calls(new NoOpHooks()),
    },
  );
  target(
    "pb1c",
    "ProgressBar's own work, ns/item",
    own.braid! - own.hand!,
    200,
  );
}

/** The hooks an OpenTelemetryAdapter has, doing nothing: braid's dispatch. */
class NoOpTracing {
  readonly [IGNORES_INPUTS] = true;
  beforeGraphExecution(_: unknown): void {}
  afterGraphExecution(_: unknown): void {}
  beforeMap(_: unknown): void {}
  afterMap(_: unknown): void {}
  afterMapItem(_: unknown): void {}
  beforeNodeExecution(_: unknown): void {}
  afterNodeExecution(_: unknown): void {}
  nodeCached(_: unknown): void {}
  onLog(_: unknown): void {}
  traceparent(_: unknown): string | undefined {
    return undefined;
  }
}

// ot1-ot1b. An OpenTelemetryAdapter on a no-op tracer (the API's own, no
// SDK registered) running a 1,000-node graph (50 layers x 20 sync nodes,
// sequential): against no adapter (ot1: the target, at most 1 us added per
// node), and against an adapter with the same hooks doing nothing (ot1b:
// what is left is the adapter's own work: its records and the API's no-op
// spans).
if (wanted("ot1", "ot1b")) {
  const g = G.layered(50, 20);
  const build = (...adapters: object[]) =>
    new Builder().withModules(G.braidModule(g)).withExecutor("sequential")
      .withAdapters(...adapters).build();
  const traced = await build(
    new OpenTelemetryAdapter({ tracer: trace.getTracer("bench") }),
  );
  const bare = await build();
  const sameHooks = await build(new NoOpTracing());
  const runs = [traced, bare, sameHooks].map((dr) => async () =>
    (await dr.execute([g.sink]))[g.sink]
  );
  const [withOtel, without, hooksOnly] = (await measure(runs, 6000)).map((ms) =>
    ms * 1e6 / g.names.length
  ) as [
    number,
    number,
    number,
  ];
  record({
    id: "ot1",
    label:
      `${g.names.length} nodes: OpenTelemetryAdapter, no-op tracer (hand: no adapter)`,
    unit: "ns/node",
    braid: withOtel,
    hand: without,
  });
  target(
    "ot1",
    "OpenTelemetryAdapter - no adapter, ns/node",
    withOtel - without,
    1000,
  );
  record({
    id: "ot1b",
    label:
      `${g.names.length} nodes: OpenTelemetryAdapter (hand: no-op, same hooks)`,
    unit: "ns/node",
    braid: withOtel,
    hand: hooksOnly,
  });
}

// ot2. The same graph traced for real: the SDK's BasicTracerProvider, every
// span recorded (with no processor, so nothing is exported), against no
// adapter. No target: what a recorded span costs is mostly the SDK's.
if (wanted("ot2")) {
  const g = G.layered(50, 20);
  const build = (...adapters: object[]) =>
    new Builder().withModules(G.braidModule(g)).withExecutor("sequential")
      .withAdapters(...adapters).build();
  const provider = new BasicTracerProvider();
  const traced = await build(
    new OpenTelemetryAdapter({ tracer: provider.getTracer("bench") }),
  );
  const bare = await build();
  await scenario(
    "ot2",
    `${g.names.length} nodes: OpenTelemetryAdapter, SDK tracer (hand: no adapter)`,
    "ns/node",
    1e6 / g.names.length,
    {
      braid: async () => (await traced.execute([g.sink]))[g.sink],
      hand: async () => (await bare.execute([g.sink]))[g.sink],
    },
  );
}

// v1. toSvg() of a 500-node graph (25 layers x 20, two parents each) once
// Graphviz's WebAssembly is loaded (the first call, made before timing,
// loads it); hand: toDot() of the same graph, the text toSvg() lays out.
if (wanted("v1")) {
  const g = G.layered(25, 20);
  const dr = await new Builder().withModules(G.braidModule(g)).build();
  const loadStart = performance.now();
  await dr.toSvg();
  const loadMs = performance.now() - loadStart;
  const label = `toSvg(), ${g.names.length}-node graph (first call ${
    loadMs.toFixed(0)
  } ms)`;
  const row = await scenario("v1", label, "ms", 1, {
    braid: async () => (await dr.toSvg()).endsWith("</svg>\n"),
    hand: () => dr.toDot().endsWith("}\n"),
  });
  target("v1", "toSvg() ms, WASM loaded", row.braid!, 300);
}

// h1-h2. a warm-cache re-run of a 1,000-node graph (50 layers x 20 async
// nodes, two parents each): every node is a hit, no node function runs.
for (const [id, store] of [["h1", "sqlite"], ["h2", "memory"]] as const) {
  if (!wanted(id)) continue;
  const g = G.layered(50, 20);
  const path = await Deno.makeTempDir({ prefix: "braid-bench-cache-" });
  const dr = await new Builder().withModules(G.braidModule(g))
    .withCache(
      store === "sqlite" ? { path } : { store: new MemoryCacheStore() },
    )
    .build();
  try {
    await dr.execute([g.sink]); // fills the cache
    const row = await scenario(
      id,
      `warm cache, 1000 nodes, ${store} store`,
      "us/node",
      1e3 / g.names.length,
      {
        braid: async () => (await dr.execute([g.sink]))[g.sink],
      },
    );
    target(id, "braid us/node, all hits", row.braid!, id === "h1" ? 5 : 1);
  } finally {
    await dr.close();
    await Deno.remove(path, { recursive: true });
  }
}

// h3. the data version of a 10 MB typed array (XXH128 through hash-wasm).
if (wanted("h3")) {
  const hasher = await loadHasher();
  const array = new Float64Array(10 * 1024 * 1024 / 8).map((_, i) => i / 3);
  const row = await scenario("h3", "hash a 10 MB Float64Array", "ms", 1, {
    braid: () => dataVersion(array, hasher).version.length,
  });
  const mbPerS = (10 / (row.braid! / 1e3)).toFixed(0);
  target(
    "h3",
    `ms per 10 MB, ${mbPerS} MB/s (20 ms = 500 MB/s)`,
    row.braid!,
    20,
  );
}

// h4. the floor of one hash: the data version of a small number (braid),
// and XXH128 of 16 bytes through hash-wasm as braid calls it (hand).
if (wanted("h4")) {
  const hasher = await loadHasher();
  const calls = 10_000;
  const bytes = new Uint8Array(16).map((_, i) => i);
  const row = await scenario("h4", "hash floor, per call", "ns", 1e6 / calls, {
    braid: () => {
      let version = "";
      for (let i = 0; i < calls; i++) version = dataVersion(i, hasher).version;
      return version.length;
    },
    hand: () => {
      let version = "";
      for (let i = 0; i < calls; i++) version = hasher.hashBytes(bytes);
      return version.length;
    },
  });
  target("h4", "ns per data version of a number", row.braid!, 200);
}

// h5. the data version of a nested plain-object structure of about 10 MB
// (as JSON): records with strings, numbers, booleans, an array and an
// object each. Hand: JSON.stringify, encoded and hashed by the same hasher.
if (wanted("h5")) {
  const hasher = await loadHasher();
  const rows = Array.from({ length: 80_000 }, (_, i) => ({
    id: i,
    name: `user-${i}`,
    score: i / 7,
    active: i % 2 === 0,
    tags: ["a", "bb", `t${i % 10}`],
    pos: { x: i, y: -i },
  }));
  const value = { rows, meta: { n: rows.length } };
  const mb = JSON.stringify(value).length / 1e6;
  const utf8 = new TextEncoder();
  const row = await scenario(
    "h5",
    `hash a ${mb.toFixed(1)} MB nested object`,
    "ms",
    1,
    {
      braid: () => dataVersion(value, hasher).version.length,
      hand: () => hasher.hashBytes(utf8.encode(JSON.stringify(value))).length,
    },
  );
  target(
    "h5",
    `MB/s, ${(mb / (row.braid! / 1e3)).toFixed(0)} (>= 200; target: ms <= ${
      (mb / 200 * 1e3).toFixed(0)
    })`,
    row.braid!,
    mb / 200 * 1e3,
  );
}

// i1-i2. Start-up, each sample a whole `deno run` process: a script that
// imports mod.ts (bench/_cold_braid.ts) against the same script without
// braid (bench/_cold_plain.ts), doing nothing more (i1) or running a 3-node
// graph of plain functions once, by hand without braid (i2). Both run with
// braid's deno.json and take turns at going first; each figure is the
// fastest of its samples, the reading least disturbed by other work on the
// machine (a process is one sample, at the mercy of other processes).
if (wanted("i1", "i2")) {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const spawn = async (script: string, mode: string): Promise<number> => {
    const t0 = performance.now();
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--config",
        config,
        new URL(script, import.meta.url).pathname,
        mode,
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
    return ms;
  };
  const rows = [
    ["i1", "import", "deno run: import mod.ts (hand: nothing)"],
    ["i2", "graph", "deno run: 3-node script (hand: no braid)"],
  ] as const;
  for (const [id, mode, label] of rows) {
    if (!wanted(id)) continue;
    const sides = ["./_cold_braid.ts", "./_cold_plain.ts"] as const;
    const times = sides.map(() => [] as number[]);
    for (const side of sides) await spawn(side, mode); // compiled once first
    for (let k = 0; k < 15; k++) {
      for (const s of k % 2 === 0 ? [0, 1] : [1, 0]) {
        times[s]!.push(await spawn(sides[s]!, mode));
      }
    }
    const [braid, hand] = times.map((t) => Math.min(...t)) as [
      number,
      number,
    ];
    record({ id, label, unit: "ms", braid, hand });
    if (id === "i1") target(id, "ms over the no-braid floor", braid - hand, 20);
    else target(id, "braid/hand-written", braid / hand, 2);
  }
}

// w1-w4. Workers. "hand" is the same work in this thread: the functions
// called one after the other (w1), braid's sequential map (w2, w4), braid's
// sequential executor (w3). CPU-bound ratios need idle cores to show.
if (wanted("w1", "w2", "w3", "w4")) {
  const work = new URL("./_work.ts", import.meta.url).href;
  const W = await import(work);
  // Median of `reps` alternating runs of each, in ms.
  const time = async (reps: number, ...runs: (() => Promise<unknown>)[]) => {
    const samples: number[][] = runs.map(() => []);
    for (let r = 0; r < reps; r++) {
      for (let j = 0; j < runs.length; j++) {
        const t0 = performance.now();
        await runs[j]!();
        samples[j]!.push(performance.now() - t0);
      }
    }
    return samples.map(median) as [number, number];
  };
  if (wanted("w1")) {
    await using dr = await new Builder().withModules(work)
      .withExecutor("threaded").build();
    const both = ["cpu_a", "cpu_b"] as never[];
    await dr.execute(both, { inputs: { n: 1 } }); // start the workers
    const n = W.roundsFor(400);
    const [braid, hand] = await time(
      3,
      () => dr.execute(both, { inputs: { n } }),
      () => Promise.resolve(W.cpu_a({ n }) + W.cpu_b({ n })),
    );
    record({
      id: "w1",
      label: "2 x 400 ms CPU nodes, threaded",
      unit: "ms",
      braid,
      hand,
    });
    target("w1", "threaded/sequential (<= 1/1.8)", braid / hand, 1 / 1.8);
  }
  if (wanted("w2")) {
    await using parallel = await new Builder().withModules(work)
      .withMapExecutor("parallel").build();
    const sequential = await new Builder().withModules(work).build();
    const n = W.roundsFor(100);
    const request = { inputs: { n: new Array(8).fill(n) }, mapOver: "n" };
    await parallel.map(["cpu_a"] as never[], {
      inputs: { n: [1, 1] },
      mapOver: "n",
    });
    const [braid, hand] = await time(
      3,
      () => parallel.map(["cpu_a"] as never[], request),
      () => sequential.map(["cpu_a"] as never[], request),
    );
    record({
      id: "w2",
      label: "map 8 x 100 ms CPU items, parallel",
      unit: "ms",
      braid,
      hand,
    });
    target("w2", "parallel/sequential map (<= 1/1.8)", braid / hand, 1 / 1.8);
  }
  if (wanted("w3")) {
    await using threaded = await new Builder().withModules(work)
      .withExecutor("threaded", { workers: 1 }).build();
    const sequential = await new Builder().withModules(work).build();
    const w3 = await scenario(
      "w3",
      "1 tiny node, threaded round trip",
      "us",
      1e3,
      {
        braid: async () => (await threaded.execute(["tiny"] as never[], {
          inputs: { x: 1 },
        })),
        hand: async () => (await sequential.execute(["tiny"] as never[], {
          inputs: { x: 1 },
        })),
      },
      2000,
    );
    target("w3", "threaded round trip, us", w3.braid!, 100);
    // The same round trip without braid: what the machine's threads cost.
    const echo = new Worker(
      new URL("./_echo_worker.ts", import.meta.url).href,
      { type: "module" },
    );
    try {
      const bare = () =>
        new Promise((resolve) => {
          echo.onmessage = (e) => resolve(e.data);
          echo.postMessage({ x: 1 });
        });
      await scenario("w3b", "  bare postMessage round trip", "us", 1e3, {
        braid: bare,
      }, 2000);
    } finally {
      echo.terminate();
    }
  }
  if (wanted("w4")) {
    await using parallel = await new Builder().withModules(work)
      .withMapExecutor("parallel").build();
    const sequential = await new Builder().withModules(work).build();
    const xs = Array.from({ length: 100_000 }, (_, i) => i);
    const request = { inputs: { x: xs }, mapOver: "x" };
    await parallel.map(["tiny"] as never[], {
      inputs: { x: [1, 2] },
      mapOver: "x",
    });
    const [braid, hand] = await time(
      5,
      () => parallel.map(["tiny"] as never[], request),
      () => sequential.map(["tiny"] as never[], request),
    );
    record({
      id: "w4",
      label: "map 100,000 tiny items, parallel",
      unit: "ms",
      braid,
      hand,
    });
    target("w4", "parallel/sequential map", braid / hand, 3);
  }
}

// t1. A threaded map's cost per item stays flat: each item's node is a
// worker task (withMapExecutor("threaded")), at 100,000 items and at 1,000.
if (wanted("t1", "t1b")) {
  const work = new URL("./_work.ts", import.meta.url).href;
  await using dr = await new Builder().withModules(work)
    .withExecutor("threaded").withMapExecutor("threaded").build();
  const items = (n: number) => ({
    inputs: { x: Array.from({ length: n }, (_, i) => i) },
    mapOver: "x",
  });
  const big = items(100_000);
  const small = items(1_000);
  await dr.map(["tiny"] as never[], small); // start the workers
  // Alternating samples; the small map repeated to take comparable time.
  const perItem: [number[], number[]] = [[], []];
  for (let r = 0; r < 3; r++) {
    let t0 = performance.now();
    await dr.map(["tiny"] as never[], big);
    perItem[0].push((performance.now() - t0) * 1e3 / 100_000);
    for (let k = 0; k < 10; k++) {
      t0 = performance.now();
      await dr.map(["tiny"] as never[], small);
      perItem[1].push((performance.now() - t0) * 1e3 / 1_000);
    }
  }
  const [large, base] = perItem.map(median) as [number, number];
  record({
    id: "t1",
    label: "threaded map, 100,000 tiny items",
    unit: "us/item",
    braid: large,
  });
  record({
    id: "t1b",
    label: "  same, 1,000 items",
    unit: "us/item",
    braid: base,
  });
  target("t1", "per item, 100,000 / 1,000 items", large / base, 1.2);
}

// Runs a bench helper script in a process of its own; returns its JSON.
async function inProcess<T>(
  script: string,
  ...args: string[]
): Promise<T> {
  return await inProcessWith<T>(["--allow-read", "--allow-env"], script, args);
}

// The same, with the given `deno run` flags.
async function inProcessWith<T>(
  flags: readonly string[],
  script: string,
  args: readonly string[] = [],
): Promise<T> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `${script} ${args.join(" ")} failed: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(stdout));
}

// t2. A prestarted, warmed threaded executor's first run against its warm
// runs, one fresh process per sample (a process has one first run); t2b
// the same on the sequential executor, what any first run pays for code
// that is not compiled yet.
if (wanted("t2", "t2b")) {
  const script = new URL("./_first_run.ts", import.meta.url).pathname;
  for (
    const [id, mode, label] of [
      ["t2", "threaded", "prestarted threaded, first run (hand: warm)"],
      ["t2b", "sequential", "  sequential, first run (hand: warm)"],
    ] as const
  ) {
    const runs: { first: number; warm: number }[] = [];
    for (let k = 0; k < 7; k++) runs.push(await inProcess(script, mode));
    const first = median(runs.map((r) => r.first));
    const warm = median(runs.map((r) => r.warm));
    record({ id, label, unit: "us", braid: first * 1e3, hand: warm * 1e3 });
    if (id === "t2") target(id, "first run / warm run", first / warm, 2);
  }
}

// r1. What routing adds per node when every node goes to one executor: a
// 10,000-node sync chain on the sequential executor, given alone (hand) or
// routed among two by route: () => "a" (braid). Each side runs in processes
// of its own, taking turns at going first: two drivers timed in one process
// differ by 30-80 ns/node from the order V8 compiles them in alone.
if (wanted("r1")) {
  const script = new URL("./_route_chain.ts", import.meta.url).pathname;
  const times = { plain: [] as number[], routed: [] as number[] };
  for (let k = 0; k < 6; k++) {
    const order = k % 2 === 0
      ? (["plain", "routed"] as const)
      : (["routed", "plain"] as const);
    for (const mode of order) {
      const { nsPerNode } = await inProcess<{ nsPerNode: number }>(
        script,
        mode,
      );
      times[mode].push(nsPerNode);
    }
  }
  const routed = median(times.routed);
  const plain = median(times.plain);
  record({
    id: "r1",
    label: `sequential, ${N}-node sync chain, routed (hand: not)`,
    unit: "ns/node",
    braid: routed,
    hand: plain,
  });
  target("r1", "routed - unrouted, ns/node", routed - plain, 30);
}

// df. A DriverFactory hit: the request's builder, its fingerprint (its
// modules loaded, its graph built) and the lookup, for a 1,000-node graph.
if (wanted("df")) {
  const g = G.layered(50, 20);
  const mod = G.braidModule(g);
  const factory = new DriverFactory((region: string) =>
    new Builder().withModules(mod).withConfig({ region })
  );
  await factory.get("EU"); // built once
  const row = await scenario("df", "DriverFactory hit, 1000 nodes", "ms", 1, {
    braid: () => factory.get("EU"),
  });
  target("df", "ms per hit", row.braid!, 1);
  await factory.close();
}

// l1. examples/serve.ts under a bounded load on loopback against a
// handler calling the same functions by hand (see _serve_load.ts): requests
// per second (braid column: braid's, hand: by hand), then p99 latency.
if (wanted("l1")) {
  const script = new URL("./_serve_load.ts", import.meta.url).pathname;
  type Side = { rps: number; p50: number; p99: number; errors: number };
  const load = await inProcessWith<
    { braid: Side; hand: Side; heapStart: number; heapEnd: number }
  >(
    ["--allow-read", "--allow-net=127.0.0.1", "--v8-flags=--expose-gc"],
    script,
  );
  record({
    id: "l1",
    label: "serve.ts under load, requests/s (hand: by hand)",
    unit: "req/s",
    braid: load.braid.rps,
    hand: load.hand.rps,
  });
  record({
    id: "l1b",
    label: "  same, p99 latency",
    unit: "ms",
    braid: load.braid.p99,
    hand: load.hand.p99,
  });
  record({
    id: "l1c",
    label: "  same, heap after GC: start (hand) and end (braid)",
    unit: "MB",
    braid: load.heapEnd / 2 ** 20,
    hand: load.heapStart / 2 ** 20,
  });
  target("l1", "errors under load", load.braid.errors + load.hand.errors, 0);
}

// x1-x2. Worker processes (the process executor). x1: two independent
// CPU-bound nodes in two processes against the same functions called one
// after the other here; x2: a tiny node's round trip to a process against
// the same round trip to a worker thread (the threaded executor).
if (wanted("x1", "x2")) {
  const work = new URL("./_work.ts", import.meta.url).href;
  const W = await import(work);
  if (wanted("x1")) {
    const executor = new ProcessExecutor({ processes: 2 });
    await using dr = await new Builder().withModules(work)
      .withExecutor(executor).build();
    const both = ["cpu_a", "cpu_b"] as never[];
    await executor.preload([work]);
    await executor.warm(); // both processes have imported the module
    await dr.execute(both, { inputs: { n: 1 } });
    const n = W.roundsFor(400);
    const samples: [number[], number[]] = [[], []];
    for (let r = 0; r < 3; r++) {
      let t0 = performance.now();
      await dr.execute(both, { inputs: { n } });
      samples[0].push(performance.now() - t0);
      t0 = performance.now();
      W.cpu_a({ n }) + W.cpu_b({ n });
      samples[1].push(performance.now() - t0);
    }
    const [braid, hand] = samples.map(median) as [number, number];
    record({
      id: "x1",
      label: "2 x 400 ms CPU nodes, process executor",
      unit: "ms",
      braid,
      hand,
    });
    target("x1", "process/sequential (<= 1/1.8)", braid / hand, 1 / 1.8);
  }
  if (wanted("x2")) {
    const processes = new ProcessExecutor({ processes: 1 });
    await using viaProcess = await new Builder().withModules(work)
      .withExecutor(processes).build();
    await using threaded = await new Builder().withModules(work)
      .withExecutor("threaded", { workers: 1 }).build();
    await processes.preload([work]);
    await processes.warm();
    const request = { inputs: { x: 1 } };
    const x2 = await scenario(
      "x2",
      "1 tiny node, process round trip (hand: threaded)",
      "us",
      1e3,
      {
        braid: async () =>
          await viaProcess.execute(["tiny"] as never[], request),
        hand: async () => await threaded.execute(["tiny"] as never[], request),
      },
      2000,
    );
    target("x2", "process/threaded round trip", x2.braid! / x2.hand!, 3);
  }
}

// q1-q2. The remote executor on a redis-server of its own (started on a
// free loopback port). q1: a graph of 10,000 tiny independent nodes, all
// remote, on 2 worker processes, against 10,000 bare BullMQ jobs added with
// addBulk doing the same work (x + 1) on 2 bare worker processes; both with
// worker concurrency 16; jobs per second. q1b: the same graph with
// chunkSize 100 (its independent nodes go 100 to a job). q2: how long after
// a worker holding a task is killed (kill -9) the run completes, with a
// lock duration of 1 s and a stalled-job check every 0.5 s. q3: a remote
// `map` of 100,000 tiny items with the "parallel" map executor (whole items
// in chunks of 1,000) against one job per item (the default map executor;
// measured on 5,000 items), per item.
if (wanted("q1", "q1b", "q2", "q3")) {
  const { Queue } = await import("bullmq");
  const { startRedis, startWorker } = await import(
    "../tests/executors/_remote_fixture.ts"
  );
  await using redis = await startRedis();
  if (wanted("q1", "q1b", "q3")) {
    const TASKS = 10_000;
    const moduleDir = await Deno.makeTempDir({ prefix: "braid-bench-q1-" });
    const module = `${moduleDir}/tiny_remote.js`;
    await Deno.writeTextFile(
      module,
      Array.from(
        { length: TASKS },
        (_, i) => `export function t${i}({ x }) { return x + 1; }\n`,
      ).join(""),
    );
    const url = new URL(`file://${module}`).href;
    const workers = await Promise.all(
      ["q-a", "q-b"].map((name) =>
        startWorker(redis.url, "braid-q1", { name, concurrency: 16 })
      ),
    );
    const bareScript = new URL("./_bare_worker.ts", import.meta.url).pathname;
    const bare = await Promise.all([0, 1].map(async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", bareScript, redis.url, "bare-q1", "16"],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const reader = child.stderr.getReader();
      await reader.read(); // its ready line
      reader.releaseLock();
      void child.stderr.pipeTo(new WritableStream());
      return child;
    }));
    const remote = new RemoteExecutor({ redis: redis.url, queue: "braid-q1" });
    await using dr = await new Builder().withModules(url).withExecutor(remote)
      .build();
    const names = Array.from({ length: TASKS }, (_, i) => `t${i}`) as never[];
    const queue = new Queue("bare-q1", { connection: { url: redis.url } });
    const bareRun = async (count: number) => {
      const t0 = performance.now();
      await queue.addBulk(
        Array.from({ length: count }, (_, i) => ({
          name: "tiny",
          data: { x: i },
          opts: { removeOnComplete: true, removeOnFail: true },
        })),
      );
      for (;;) {
        const left = await queue.getJobCounts("wait", "active", "prioritized");
        const waiting = Object.values(left).reduce((a, b) => a + b, 0);
        if (waiting === 0) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      return performance.now() - t0;
    };
    const braidRun = async (count: number) => {
      const t0 = performance.now();
      await dr.execute(names.slice(0, count), { inputs: { x: 1 } });
      return performance.now() - t0;
    };
    await braidRun(TASKS); // the workers import the module, JIT warms up
    await bareRun(TASKS);
    const times: { braid: number[]; bare: number[] } = { braid: [], bare: [] };
    for (let r = 0; r < 3; r++) {
      times.braid.push(await braidRun(TASKS));
      times.bare.push(await bareRun(TASKS));
    }
    const braid = TASKS / (median(times.braid) / 1000);
    const hand = TASKS / (median(times.bare) / 1000);
    if (wanted("q1")) {
      record({
        id: "q1",
        label: "10,000 tiny remote nodes, 2 workers x 16 (hand: bare BullMQ)",
        unit: "jobs/s",
        braid,
        hand,
      });
      target("q1", "bare/braid time (braid >= 0.7x)", hand / braid, 1 / 0.7);
    }
    if (wanted("q1b")) {
      const chunked = new RemoteExecutor({
        redis: redis.url,
        queue: "braid-q1",
        chunkSize: 100,
      });
      await using drChunked = await new Builder().withModules(url)
        .withExecutor(chunked).build();
      const run = async () => {
        const t0 = performance.now();
        await drChunked.execute(names, { inputs: { x: 1 } });
        return performance.now() - t0;
      };
      await run();
      const samples = [await run(), await run(), await run()];
      record({
        id: "q1b",
        label: "  same, chunkSize 100 (hand: bare BullMQ)",
        unit: "jobs/s",
        braid: TASKS / (median(samples) / 1000),
        hand,
      });
    }
    if (wanted("q3")) {
      const work = new URL("./_work.ts", import.meta.url).href;
      // Whole items in chunks of 1,000 ("parallel"), or one job per item's
      // node call (the default map executor).
      const mapOn = async (inChunks: boolean, items: number) => {
        const executor = new RemoteExecutor({
          redis: redis.url,
          queue: "braid-q1",
        });
        const builder = new Builder().withModules(work).withExecutor(executor);
        await using mapper =
          await (inChunks ? builder.withMapExecutor("parallel") : builder)
            .build();
        const x = Array.from({ length: items }, (_, i) => i);
        const request = { inputs: { x }, mapOver: "x" };
        await mapper.map(["tiny"] as never[], {
          ...request,
          inputs: { x: [1] },
        });
        const t0 = performance.now();
        await mapper.map(["tiny"] as never[], request);
        return (performance.now() - t0) * 1000 / items; // us per item
      };
      const chunked = await mapOn(true, 100_000);
      const single = await mapOn(false, 5_000);
      record({
        id: "q3",
        label:
          "remote map, 100,000 tiny items in chunks of 1,000 (hand: a job each)",
        unit: "us/item",
        braid: chunked,
        hand: single,
      });
      target("q3", "chunked/one job per item (<= 0.1)", chunked / single, 0.1);
    }
    await queue.close();
    await dr.close();
    for (const child of bare) child.kill("SIGTERM");
    await Promise.all(bare.map((child) => child.status));
    await Promise.all(workers.map((w) => w.stop()));
    await Deno.remove(moduleDir, { recursive: true });
  }
  if (wanted("q2")) {
    const LOCK_MS = 1000;
    const nodes = new URL("../tests/fixtures/remote/nodes.ts", import.meta.url)
      .href;
    const settings = { lockDurationMs: LOCK_MS, stalledIntervalMs: 500 };
    const remote = new RemoteExecutor({ redis: redis.url, queue: "braid-q2" });
    await using dr = await new Builder().withModules(nodes).withExecutor(remote)
      .build();
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const holder = await startWorker(redis.url, "braid-q2", {
        name: `holder-${r}`,
        holdMs: 60_000,
        ...settings,
      });
      const running = dr.execute(["held_1"] as never[]);
      await holder.saw(/holding held_1 /);
      const taker = await startWorker(redis.url, "braid-q2", {
        name: `taker-${r}`,
        ...settings,
      });
      const t0 = performance.now();
      await holder.stop("SIGKILL");
      await running;
      samples.push(performance.now() - t0);
      await taker.stop();
    }
    const recovery = median(samples);
    record({
      id: "q2",
      label: "remote task taken over after kill -9 (lock 1 s)",
      unit: "ms",
      braid: recovery,
    });
    target("q2", "recovery ms (<= lock + 1 s)", recovery, LOCK_MS + 1000);
  }
}

// rs1, rs2. A SQLite run store (one file, WAL): what recording costs per
// node of a 10,000-node sync chain on the sequential executor (rs1: the
// run's row at its start, its row and node records in one transaction at
// its end), and on a map of 100,000 items of the 3-node async chain (rs2:
// each item's end and failure by column).
if (wanted("rs1", "rs2")) {
  const runsDir = await Deno.makeTempDir({ prefix: "braid-bench-runs-" });
  try {
    const store = new SqliteRunStore(`${runsDir}/runs.db`, {
      keep: { runs: 100 },
    });
    if (wanted("rs1")) {
      const g = G.chain(N, "sync");
      const bare = await new Builder().withModules(G.braidModule(g)).build();
      const stored = await new Builder().withModules(G.braidModule(g))
        .withRunStore({ store }).build();
      const row = await scenario(
        "rs1",
        `sync chain ${N}, sequential: SQLite run store (hand: none)`,
        "ns/node",
        1e6 / N,
        {
          braid: async () => (await stored.execute([g.sink]))[g.sink],
          hand: async () => (await bare.execute([g.sink]))[g.sink],
        },
      );
      target(
        "rs1",
        "stored - bare, us/node",
        (row.braid! - row.hand!) / 1000,
        2,
      );
    }
    if (wanted("rs2")) {
      const n = 100_000;
      const xs = Array.from({ length: n }, (_, i) => i);
      const request = { inputs: { x: xs }, mapOver: "x" };
      const bare = await new Builder().withModules(G.mapModule)
        .withExecutor("async").build();
      const stored = await new Builder().withModules(G.mapModule)
        .withExecutor("async").withRunStore({ store }).build();
      const row = await scenario(
        "rs2",
        `map ${n} x 3 nodes: SQLite run store (hand: none)`,
        "ns/node",
        1e6 / (3 * n),
        {
          braid: async () => (await stored.map(["c"], request)).length,
          hand: async () => (await bare.map(["c"], request)).length,
        },
        6000,
        3,
      );
      target("rs2", "stored map / map", row.braid! / row.hand!, 1.5);
    }
    store.close();
  } finally {
    await Deno.remove(runsDir, { recursive: true });
  }
}

// rs3. The run viewer's list (GET /api/runs, 100 newest) with 10,000 runs
// in a SQLite run store, over loopback HTTP.
if (wanted("rs3")) {
  const runsDir = await Deno.makeTempDir({ prefix: "braid-bench-viewer-" });
  const store = new SqliteRunStore(`${runsDir}/runs.db`);
  try {
    const plan = { nodes: [{ name: "a", kind: "node" }], edges: [] } as const;
    for (let i = 0; i < 10_000; i++) {
      const run = {
        id: `run-${i}`,
        kind: "execute",
        status: i % 10 === 0 ? "failed" : "succeeded",
        startedAt: Date.now() - 10_000 + i,
        endedAt: Date.now() - 10_000 + i + 1,
        durationMs: 1,
        tags: { team: i % 2 === 0 ? "data" : "web" },
        finalVars: ["a"],
        inputs: [],
        overrides: [],
        config: {},
        modules: [],
        planSignature: "bench",
        plan,
      } as const;
      store.finish(run, [{ name: "a", status: "succeeded", durationMs: 1 }]);
    }
    const server = serveViewer({ store, port: 0, onListen: () => {} });
    const url = `http://127.0.0.1:${server.addr.port}/api/runs`;
    const list = async () => (await (await fetch(url)).json()).runs.length;
    const [ms] = await measure([list], 2000);
    record({
      id: "rs3",
      label: "run viewer list (100 of 10,000 stored runs), loopback HTTP",
      unit: "ms",
      braid: ms!,
    });
    target("rs3", "list ms", ms!, 50);
    await server.shutdown();
  } finally {
    store.close();
    await Deno.remove(runsDir, { recursive: true });
  }
}
// io1-io3. data in and out: withColumns, from.csv, the loader's content hash.
if (wanted("io1")) await withColumnsRow();
if (wanted("io2")) await csvRow();
if (wanted("io3")) await contentHashRow();

report(ORDER, [
  `${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}. braid/peer: against the faster of p-graph and grfn.`,
  "Declared-input nodes, fn({ dep: value }), except a2, b2, f1: a generated module of parsed positional functions.",
]);
