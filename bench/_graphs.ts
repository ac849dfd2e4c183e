/**
 * Graph generators and runners shared by `compare.ts` and
 * `executors_bench.ts`. Every runner calls the same node functions with the
 * same argument objects braid passes to declared-input nodes (`fn({ dep: v })`),
 * so the engines differ only in how they schedule.
 *
 * @module
 */
import { PGraph } from "p-graph";
import grfn from "grfn";
import {
  collect,
  inputs,
  named,
  node,
  type NodeDef,
  parallelizable,
} from "../mod.ts";

/** A node function: takes its inputs by name, returns a number. */
export type NodeFn = (args: Record<string, number>) => number | Promise<number>;

/** A DAG in topological order; node `i`'s inputs are `deps[i]`. */
export interface Dag {
  readonly names: readonly string[];
  readonly deps: readonly (readonly number[])[];
  readonly fns: readonly NodeFn[];
  /** Topological generations (for the hand-written `Promise.all` baseline). */
  readonly layers: readonly (readonly number[])[];
  /** The single sink: the node braid requests and grfn returns. */
  readonly sink: string;
}

/** `1 + the sum of its inputs`, reading the inputs by name like a user would. */
function sumOf(keys: readonly string[]): (a: Record<string, number>) => number {
  if (keys.length === 0) return () => 1;
  if (keys.length === 1) {
    const k = keys[0]!;
    return (a) => a[k]! + 1;
  }
  return (a) => {
    let s = 1;
    for (let i = 0; i < keys.length; i++) s += a[keys[i]!]!;
    return s;
  };
}

/** Sleeps `ms` milliseconds. */
export const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Builds a DAG from names and dependency lists; `kind` picks the node body. */
export function dag(
  names: string[],
  deps: number[][],
  kind: "sync" | "async" | { timerMs: number },
): Dag {
  const fns = deps.map((d): NodeFn => {
    const f = sumOf(d.map((j) => names[j]!));
    if (kind === "sync") return f;
    // deno-lint-ignore require-await
    if (kind === "async") return async (a) => f(a);
    const ms = kind.timerMs;
    return d.length > 0 ? f : async (a) => (await delay(ms), f(a));
  });
  const gen: number[] = [];
  const layers: number[][] = [];
  deps.forEach((d, i) => {
    gen[i] = d.reduce((g, j) => Math.max(g, gen[j]! + 1), 0);
    (layers[gen[i]!] ??= []).push(i);
  });
  return { names, deps, fns, layers, sink: names[names.length - 1]! };
}

/** n0 <- n1 <- ... <- n(n-1). */
export function chain(n: number, kind: "sync" | "async"): Dag {
  const names = Array.from({ length: n }, (_, i) => `n${i}`);
  return dag(names, names.map((_, i) => i === 0 ? [] : [i - 1]), kind);
}

/** One root, `n` children of it, one sink taking every child. */
export function fanOut(n: number): Dag {
  const names = ["root", ...Array.from({ length: n }, (_, i) => `c${i}`)];
  const deps = names.map((_, i) => i === 0 ? [] : [0]);
  names.push("sink");
  deps.push(Array.from({ length: n }, (_, i) => i + 1));
  return dag(names, deps, "async");
}

/** `layers` x `width`, each node with 2 parents in the previous layer, plus a sink. */
export function layered(layers: number, width: number): Dag {
  const names: string[] = [];
  const deps: number[][] = [];
  for (let l = 0; l < layers; l++) {
    for (let j = 0; j < width; j++) {
      names.push(`l${l}_${j}`);
      const p = (l - 1) * width;
      deps.push(l === 0 ? [] : [p + j, p + (j + 1) % width]);
    }
  }
  names.push("sink");
  deps.push(Array.from({ length: width }, (_, j) => (layers - 1) * width + j));
  return dag(names, deps, "async");
}

/** `n` independent nodes each awaiting a `ms` timer, plus a sink (for grfn). */
export function timers(n: number, ms: number): Dag {
  const names = [...Array.from({ length: n }, (_, i) => `t${i}`), "sink"];
  const deps = names.map((_, i) =>
    i < n ? [] : Array.from({ length: n }, (_, j) => j)
  );
  return dag(names, deps, { timerMs: ms });
}

/** The braid module: declared inputs, keys are node names. */
export function braidModule(g: Dag): Record<string, NodeDef> {
  const mod: Record<string, NodeDef> = {};
  g.names.forEach((name, i) => {
    mod[name] = node(g.fns[i]!, inputs(g.deps[i]!.map((j) => g.names[j]!)));
  });
  return mod;
}

/** The argument object of node `i`, built as braid builds it. */
// Argument objects without a prototype, as braid builds them: with thousands
// of distinct input names, `{}` would give every object a hidden class of
// its own and make every runner here several times slower.
function argsOf(g: Dag, i: number, values: unknown[]): Record<string, number> {
  const a: Record<string, number> = Object.create(null);
  const d = g.deps[i]!;
  for (let k = 0; k < d.length; k++) {
    a[g.names[d[k]!]!] = values[d[k]!] as number;
  }
  return a;
}

/** Hand-written: a plain loop over the nodes in order (sync functions). */
export function handSync(g: Dag): () => unknown {
  return () => {
    const values: unknown[] = new Array(g.names.length);
    for (let i = 0; i < g.fns.length; i++) {
      values[i] = g.fns[i]!(argsOf(g, i, values));
    }
    return values[values.length - 1];
  };
}

/** Hand-written: `await` each node, `Promise.all` over a generation. */
export function handAsync(g: Dag): () => Promise<unknown> {
  return async () => {
    const values: unknown[] = new Array(g.names.length);
    for (const layer of g.layers) {
      if (layer.length === 1) {
        const i = layer[0]!;
        values[i] = await g.fns[i]!(argsOf(g, i, values));
      } else {
        const out = await Promise.all(
          layer.map((i) => g.fns[i]!(argsOf(g, i, values))),
        );
        for (let k = 0; k < layer.length; k++) values[layer[k]!] = out[k];
      }
    }
    return values[values.length - 1];
  };
}

/** p-graph: tasks that store their value; construction is included. */
export function pgraphRunner(g: Dag): () => Promise<unknown> {
  let values: unknown[] = [];
  const nodeMap: Record<string, { run: () => Promise<void> }> = {};
  const edges: [string, string][] = [];
  g.names.forEach((name, i) => {
    nodeMap[name] = {
      run: async () => {
        values[i] = await g.fns[i]!(argsOf(g, i, values));
      },
    };
    for (const j of g.deps[i]!) edges.push([g.names[j]!, name]);
  });
  const pg = new PGraph(nodeMap, edges);
  return async () => {
    values = new Array(g.names.length);
    await pg.run();
    return values[values.length - 1];
  };
}

/** grfn: positional wrappers that rebuild the same argument object. */
export function grfnRunner(g: Dag): () => Promise<unknown> {
  type Pos = (...xs: number[]) => number | Promise<number>;
  const wrappers: Pos[] = g.fns.map((fn, i) => {
    const keys = g.deps[i]!.map((j) => g.names[j]!);
    return (...xs: number[]) => {
      const a: Record<string, number> = Object.create(null);
      for (let k = 0; k < keys.length; k++) a[keys[k]!] = xs[k]!;
      return fn(a);
    };
  });
  const run = grfn(
    wrappers.map((
      w,
      i,
    ): [Pos, Pos[]] => [w, g.deps[i]!.map((j) => wrappers[j]!)]),
  );
  return () => run();
}

/** A positional chain function: `n0()`, then `n{i}(n{i-1})`. */
export type ChainFn = (x?: number) => number | Promise<number>;

/**
 * Writes a module of `n` exported chain functions `${prefix}0..` whose
 * parameter names braid must parse, and returns its URL.
 */
export async function writeChainModule(
  dir: string,
  prefix: string,
  n: number,
  async: boolean,
): Promise<string> {
  const a = async ? "async " : "";
  const t = async ? "Promise<number>" : "number";
  const src = [`export ${a}function ${prefix}0(): ${t} { return 1; }`];
  for (let i = 1; i < n; i++) {
    const p = `${prefix}${i - 1}`;
    src.push(
      `export ${a}function ${prefix}${i}(${p}: number): ${t} { return ${p} + 1; }`,
    );
  }
  const file = `${dir}/${prefix}chain.ts`;
  await Deno.writeTextFile(file, src.join("\n") + "\n");
  return new URL(`file://${file}`).href;
}

/** Hand-written, p-graph and grfn runners of a positional async chain. */
export function positionalChainRunners(fns: readonly ChainFn[]) {
  let values: unknown[] = [];
  const nodes: Record<string, { run: () => Promise<void> }> = {};
  const edges: [string, string][] = [];
  fns.forEach((f, i) => {
    nodes[`${i}`] = {
      run: async () => {
        values[i] = await f(values[i - 1] as number | undefined);
      },
    };
    if (i > 0) edges.push([`${i - 1}`, `${i}`]);
  });
  const pg = new PGraph(nodes, edges);
  const gr = grfn(fns.map((f, i) => i === 0 ? f : [f, [fns[i - 1]!]]));
  return {
    hand: async () => {
      let v = await fns[0]!();
      for (let i = 1; i < fns.length; i++) v = await fns[i]!(v);
      return v;
    },
    pgraph: async () => {
      values = new Array(fns.length);
      await pg.run();
      return values[fns.length - 1];
    },
    grfn: () => gr(),
  };
}

type F = (args: Record<string, number>) => Promise<number>;
// deno-lint-ignore require-await
const fa: F = async ({ x }) => x! + 1;
// deno-lint-ignore require-await
const fb: F = async ({ a }) => a! * 2;
// deno-lint-ignore require-await
const fc: F = async ({ b }) => b! - 3;

/** The map scenario: x -> a -> b -> c, async, declared inputs. */
export const mapModule = {
  a: node(fa, inputs(["x"])),
  b: node(fb, inputs(["a"])),
  c: node(fc, inputs(["b"])),
};

/**
 * The fan-out scenario: the items of `xs` each run x -> a -> b -> c inside a
 * parallelizable block; a collect sums every item's c.
 */
export function fanOutModule(xs: readonly number[]) {
  return {
    x: node(() => xs, parallelizable()),
    ...mapModule,
    total: node(
      ({ c }: { c: number[] }) => c.reduce((s, v) => s + v, 0),
      inputs(["c"]),
      collect("c"),
    ),
  };
}

/** Hand-written fan-out: every item's chain, concurrently or one at a time, summed. */
export function fanOutRunners(xs: readonly number[]) {
  const item = async (x: number) =>
    await fc({ b: await fb({ a: await fa({ x }) }) });
  const total = (cs: number[]) => cs.reduce((s, v) => s + v, 0);
  return {
    handConcurrent: async () => total(await Promise.all(xs.map(item))),
    handSequential: async () => {
      const cs: number[] = [];
      for (const x of xs) cs.push(await item(x));
      return total(cs);
    },
  };
}

/** The same three nodes as a Pipeline's node list (x -> a -> b -> c). */
export const mapNodes = [
  node(fa, named("a"), inputs(["x"])),
  node(fb, named("b"), inputs(["a"])),
  node(fc, named("c"), inputs(["b"])),
];

/** Hand-written (concurrent and one at a time), p-graph and grfn maps over `xs`. */
export function mapRunners(xs: readonly number[]) {
  const item = async (x: number) => ({
    c: await fc({ b: await fb({ a: await fa({ x }) }) }),
  });
  const fa2 = (x: number) => fa({ x });
  const fb2 = (a: number) => fb({ a });
  const gr = grfn([[(b: number) => fc({ b }), [fb2]], [fb2, [fa2]], fa2]);
  const pg = new PGraph({ a: {}, b: {}, c: {} }, [["a", "b"], ["b", "c"]]);
  const fnOf: Record<string, [F, string]> = {
    a: [fa, "x"],
    b: [fb, "a"],
    c: [fc, "b"],
  };
  const pgItem = async (x: number) => {
    const v: Record<string, number> = { x };
    await pg.run({
      run: async (id: string) => {
        const [f, dep] = fnOf[id]!;
        v[id] = await f({ [dep]: v[dep]! });
      },
    });
    return { c: v.c };
  };
  return {
    handConcurrent: () => Promise.all(xs.map(item)),
    handSequential: async () => {
      const out = [];
      for (const x of xs) out.push(await item(x));
      return out;
    },
    pgraph: () => Promise.all(xs.map(pgItem)),
    grfn: () => Promise.all(xs.map(async (x) => ({ c: await gr(x) }))),
  };
}

/** Building `g` with p-graph and with grfn (nothing run); each returns the size. */
export function peerBuilders(g: Dag) {
  return {
    pgraph: () => {
      const nodes: Record<string, { run: () => void }> = {};
      const edges: [string, string][] = [];
      g.names.forEach((name, i) => {
        nodes[name] = { run: () => {} };
        for (const j of g.deps[i]!) edges.push([g.names[j]!, name]);
      });
      return new PGraph(nodes, edges) && g.names.length;
    },
    grfn: () =>
      grfn(g.fns.map((f, i) => [f, g.deps[i]!.map((j) => g.fns[j]!)])) &&
      g.names.length,
  };
}
