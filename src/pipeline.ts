/**
 * `Pipeline`: HyperNodes' front door. A pipeline is a pure, immutable
 * definition (a list of nodes and default inputs); its {@linkcode Engine}
 * decides how it runs. It compiles through the same specs, graph, plan and
 * runner as `Builder`/`AsyncDriver`, which does the running.
 *
 * @module
 */
import { type AsyncDriver, createDriver, type DictResult } from "./driver.ts";
import type {
  ListResult,
  ResultBuilder,
  ResultTypeOf,
} from "./result_builders.ts";
import {
  checkEngine,
  DEFAULT_ENGINE,
  Engine,
  openEngine,
  runnerInit,
} from "./engine.ts";
import { DuplicateNodeError, InvalidNodeError } from "./errors.ts";
import type { ExecutionEvent } from "./events.ts";
import { Graph } from "./graph.ts";
import { graphView, type Hooks } from "./hooks.ts";
import type { DotOptions } from "./dot.ts";
import type { SvgOptions } from "./svg.ts";
import type { MapItemResult, MapMode } from "./map.ts";
import { type AnyFn, isNodeDef, type NodeDef } from "./node.ts";
import type { ReadField } from "./types.ts";
import { collectSpecs } from "./_load.ts";
import { EMPTY } from "./runner.ts";
import { type AsNodeOptions, type NestedNode, nestedNode } from "./nested.ts";

/** What a pipeline's `nodes` may hold: definitions and plain functions. */
export type PipelineNode = NodeDef | AnyFn;

/** Options of {@linkcode Pipeline}. */
export interface PipelineOptions<
  N extends readonly PipelineNode[] = readonly PipelineNode[],
  B extends ResultBuilder = ResultBuilder,
> {
  /** The nodes: `node(fn, named("out"))` definitions or plain functions. */
  readonly nodes: N;
  /** How it runs. @default {new Engine() (sequential nodes and items)} */
  readonly engine?: Engine<B>;
  /** Its name: the name `asNode()` gives its node when told none. */
  readonly name?: string;
}

/**
 * The value types a pipeline's nodes are known to produce, by name: those
 * `named()` names (a plain function's name is not known to the type system).
 */
export type PipelineOutputs<N extends readonly unknown[]> = Intersect<
  NamedOutput<N[number]>
>;

/** `{ [name]: value }` for a definition `named()` names, else `never`. */
export type NamedOutput<T> = T extends NodeDef<infer F, infer Name> ?
    | (string extends Name ? never
      : [Name] extends [never] ? never
      : { [P in Name]: Awaited<ReturnType<F>> })
    | FieldOutputs<T>
  : never;

/**
 * `{ [field]: value }` for the fields a definition adds (`extractFields`,
 * a nested pipeline's outputs), else `never`.
 */
export type FieldOutputs<T> = T extends
  NodeDef<infer F, string, boolean, boolean, string, infer X>
  ? string extends keyof X ? never
  : [keyof X] extends [never] ? never
  : { [P in keyof X]: ReadField<Awaited<ReturnType<F>>, X[P]> }
  : never;

/**
 * Whether every node of `N` has its output typed (a `named()` definition
 * or a nested pipeline whose outputs are typed), so that a nested node of
 * the pipeline can name every output it exposes.
 */
export type AllTyped<N extends readonly unknown[]> = false extends {
  [K in keyof N]: N[K] extends
    NodeDef<AnyFn, infer Name, boolean, boolean, string, infer X>
    ? string extends Name ? (string extends keyof X ? false : true)
    : [Name] extends [never] ? false
    : true
    : false;
}[number] ? false
  : true;

/**
 * The node `asNode(options)` makes of a pipeline of nodes `N`: its outputs
 * typed (renamed by `outputMapping`, lists with `mapOver`) when every node
 * of the pipeline is.
 */
export type NestedNodeOf<N extends readonly unknown[], O> = AllTyped<N> extends
  true ? NestedNode<
    NestedOutputs<PipelineOutputs<N>, O>,
    { readonly [K in keyof NestedOutputs<PipelineOutputs<N>, O> & string]: K },
    O extends { readonly name: infer S extends string } ? S : string
  >
  : NestedNode;

/** The outputs a nested node exposes (see {@linkcode NestedNodeOf}). */
export type NestedOutputs<P, O> = O extends
  { readonly mapOver: string | readonly string[] }
  ? { [K in keyof Exposed<P, O>]: Exposed<P, O>[K][] }
  : Exposed<P, O>;

/** The outputs `P` under `O`'s `outputMapping` (`{ inner: outer }`). */
export type Exposed<P, O> = O extends
  { readonly outputMapping: infer M extends Readonly<Record<string, string>> }
  ? { [K in keyof M & keyof P as M[K] & string]: P[K] }
  : P;

/** A union of object types as their intersection (`unknown` for none). */
export type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends
  (x: infer I) => void ? I : never;

/**
 * What one run of a pipeline of nodes `N` gives: every output (typed where
 * known), or only the requested `V`.
 */
export type PipelineResult<
  N extends readonly unknown[],
  V extends string = never,
> = [V] extends [never]
  ? unknown extends PipelineOutputs<N> ? Record<string, unknown>
  : PipelineOutputs<N> & Record<string, unknown>
  : {
    [K in V]: K extends keyof PipelineOutputs<N> ? PipelineOutputs<N>[K]
      : unknown;
  };

/**
 * What `Pipeline.run` resolves to under an engine whose result builder is
 * `B`: the outputs by name by default, else what the builder makes.
 */
export type PipelineRunResult<
  N extends readonly unknown[],
  V extends string,
  B,
> = ResultTypeOf<B> extends infer R
  ? [R] extends [DictResult] ? PipelineResult<N, V>
  : [R] extends [ListResult]
    ? PipelineResult<N, V>[keyof PipelineResult<N, V>][]
  : R
  : never;

/** Options of `Pipeline.run`. */
export interface PipelineRunOptions<V extends string = string> {
  /** Values for the pipeline's inputs, over the bound ones. @default {{}} */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /**
   * The outputs to compute; only their upstream runs.
   * @default {every output of the pipeline}
   */
  readonly outputs?: readonly V[];
  /** Cancels the run with a `CancelledError`. */
  readonly signal?: AbortSignal;
}

/** Options of `Pipeline.map`. */
export interface PipelineMapOptions<V extends string = string>
  extends PipelineRunOptions<V> {
  /** The input(s) whose lists are mapped over; other inputs are broadcast. */
  readonly mapOver: string | readonly string[];
  /** `"zip"` (lists of equal length) or `"product"`. @default {"zip"} */
  readonly mapMode?: MapMode;
  /**
   * `"raise"`: the first failure rejects, naming the item and the node;
   * `"collect"`: every item gives `{ ok, value }` or `{ ok, error }`.
   *
   * @default {"raise"}
   */
  readonly onError?: "raise" | "collect";
}

interface PipelineState {
  readonly name: string | undefined;
  readonly nodes: readonly PipelineNode[];
  readonly engine: Engine | undefined;
  readonly bound: Readonly<Record<string, unknown>>;
  readonly graph: Graph;
  readonly outputs: readonly string[];
}

// The key under which `#with` hands a copy its checked state: a symbol no
// other module can name, so the public options never carry it.
const STATE = Symbol("braid.pipelineState");

interface CopyOptions<N extends readonly PipelineNode[]>
  extends PipelineOptions<N> {
  readonly [STATE]: PipelineState;
}

/**
 * A pipeline of nodes (HyperNodes' `Pipeline`): an immutable definition,
 * checked when it is created, run by its engine.
 *
 * @example
 * ```ts
 * import { named, node, Pipeline } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const clean = node(({ text }: { text: string }) => text.trim().toLowerCase(),
 *   named("cleaned"));
 * const count = node(({ cleaned }: { cleaned: string }) => cleaned.split(" ").length,
 *   named("word_count"));
 * const pipeline = new Pipeline({ nodes: [clean, count] });
 * assert.deepEqual(await pipeline.run({ inputs: { text: " Hello World " } }),
 *   { cleaned: "hello world", word_count: 2 });
 * ```
 */
export class Pipeline<
  N extends readonly PipelineNode[] = readonly PipelineNode[],
  B extends ResultBuilder = ResultBuilder,
> {
  readonly #state: PipelineState;
  #runs: AsyncDriver<Record<string, unknown>> | undefined;
  // true once the adapters' validate hooks passed (or there are none).
  #validated: Promise<void> | true | undefined;

  /**
   * Creates a pipeline; throws what building its graph would (cycles,
   * duplicates), and a ConfigError for a node whose `executor` tag names
   * none of the engine's executors.
   */
  constructor(options: PipelineOptions<N, B>) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`'options' must be an object: received ${options}`);
    }
    const state = (options as Partial<CopyOptions<N>>)[STATE];
    if (state !== undefined) {
      // A copy made by bind/withEngine: already checked.
      this.#state = state;
      return;
    }
    const { nodes, engine, name } = options;
    if (engine !== undefined && !(engine instanceof Engine)) {
      throw new TypeError(`'engine' must be an Engine: received ${engine}`);
    }
    if (name !== undefined && (typeof name !== "string" || name === "")) {
      throw new TypeError(
        `'name' must be a non-empty string: received ${name}`,
      );
    }
    const graph = buildGraph(nodes);
    if (engine !== undefined) checkEngine(engine, graph);
    this.#state = Object.freeze({
      name,
      nodes: Object.freeze([...nodes]),
      engine,
      bound: EMPTY,
      graph,
      outputs: Object.freeze(
        graph.order.filter((name) =>
          graph.specs.get(name)!.container === undefined
        ),
      ),
    });
  }

  /** Its name, if it was given one. */
  get name(): string | undefined {
    return this.#state.name;
  }

  /** The nodes, as given. */
  get nodes(): N {
    return this.#state.nodes as N;
  }

  /** The engine given to this pipeline, if any (else a default one runs it). */
  get engine(): Engine | undefined {
    return this.#state.engine;
  }

  /** The default inputs given with `bind`. */
  get bound(): Readonly<Record<string, unknown>> {
    return this.#state.bound;
  }

  /** Every output, in topological order: what `run` returns by default. */
  get outputs(): readonly string[] {
    return this.#state.outputs;
  }

  /** The inputs the pipeline needs that no node produces and none is bound. */
  get inputs(): readonly string[] {
    return [...this.#state.graph.externals.keys()].filter((name) =>
      !Object.hasOwn(this.#state.bound, name)
    );
  }

  /** A new pipeline with `inputs` as default inputs (later calls win). */
  bind(inputs: Readonly<Record<string, unknown>>): Pipeline<N, B> {
    if (typeof inputs !== "object" || inputs === null) {
      throw new TypeError(`'inputs' must be an object: received ${inputs}`);
    }
    return this.#with({
      bound: Object.freeze({ ...this.#state.bound, ...inputs }),
    });
  }

  /**
   * A new pipeline without the bound inputs `names`, or without any when
   * no name is given (HyperNodes' `unbind`). Names not bound are ignored.
   *
   * @example
   * ```ts
   * import { Pipeline } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const add = ({ x, y }: { x: number; y: number }) => x + y;
   * const bound = new Pipeline({ nodes: [add] }).bind({ x: 1, y: 2 });
   * assert.deepEqual(bound.unbind("x").bound, { y: 2 });
   * assert.deepEqual(bound.unbind().inputs, ["x", "y"]);
   * ```
   */
  unbind(...names: readonly string[]): Pipeline<N, B> {
    for (const name of names) {
      if (typeof name !== "string") {
        throw new TypeError(`'names' must be strings: received ${name}`);
      }
    }
    const bound = this.#state.bound;
    if (names.length === 0) return this.#with({ bound: EMPTY });
    const kept = Object.fromEntries(
      Object.entries(bound).filter(([key]) => !names.includes(key)),
    );
    return this.#with({
      bound: Object.keys(kept).length === 0 ? EMPTY : Object.freeze(kept),
    });
  }

  /**
   * A new pipeline that runs on `engine`; a ConfigError for a node whose
   * `executor` tag names none of its executors.
   */
  withEngine<E extends ResultBuilder = ResultBuilder>(
    engine: Engine<E>,
  ): Pipeline<N, E> {
    if (!(engine instanceof Engine)) {
      throw new TypeError(`'engine' must be an Engine: received ${engine}`);
    }
    checkEngine(engine, this.#state.graph);
    return this.#with({ engine }) as unknown as Pipeline<N, E>;
  }

  /**
   * Runs the pipeline once and returns every output, or only `outputs`
   * (running only what they need).
   */
  async run<const V extends string = never>(
    options: PipelineRunOptions<V> = {},
  ): Promise<PipelineRunResult<N, V, B>> {
    const driver = await this.#ready(options.outputs);
    return await driver.execute(
      this.#outputs(options.outputs),
      this.#options(options),
    ) as PipelineRunResult<N, V, B>;
  }

  /**
   * Runs the pipeline once per item of the `mapOver` input(s) and returns
   * each item's outputs, in input order; other inputs are broadcast.
   */
  map<const V extends string = never>(
    options: PipelineMapOptions<V> & { readonly onError: "collect" },
  ): Promise<MapItemResult<PipelineResult<N, V>>[]>;
  /** Runs the pipeline once per item; the first failure rejects. */
  map<const V extends string = never>(
    options: PipelineMapOptions<V> & { readonly onError?: "raise" },
  ): Promise<PipelineResult<N, V>[]>;
  async map(options: PipelineMapOptions): Promise<unknown[]> {
    const driver = await this.#ready(options.outputs);
    return await driver.map(
      this.#outputs(options.outputs),
      this.#mapOptions(options) as never,
    );
  }

  /**
   * Runs once (or, with `mapOver`, once per item) and yields the events as
   * they happen, item progress included. Stopping early cancels the run.
   */
  async *stream(
    options: PipelineRunOptions | PipelineMapOptions = {},
  ): AsyncGenerator<ExecutionEvent, void, undefined> {
    const driver = await this.#ready(options.outputs);
    yield* driver.stream(
      this.#outputs(options.outputs),
      "mapOver" in options ? this.#mapOptions(options) : this.#options(options),
    );
  }

  /**
   * This pipeline as one node of another (HyperNodes' `as_node`). The node
   * exposes the inner outputs (renamed by `outputMapping`); with `mapOver`,
   * each is the list of per-item values. Without an engine of its own, the
   * inner pipeline runs on the outer run's executors; with one, on its
   * engine (and its engine's cache). The outer adapters see its nodes as
   * `"<name>.<inner node>"`, and cancelling the outer run cancels it. The
   * node is named `name`, else after the pipeline; it needs the inner inputs
   * not bound (`inputs`) and tells the bound ones (`bound`). A run that uses
   * only some of its outputs computes only those inside.
   *
   * @example
   * ```ts
   * import { named, node, Pipeline } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const inner = new Pipeline({
   *   nodes: [node(({ doc }: { doc: string }) => doc.length, named("size"))],
   * });
   * const outer = new Pipeline({
   *   nodes: [
   *     inner.asNode({ name: "measure", mapOver: "docs", inputMapping: { docs: "doc" },
   *       outputMapping: { size: "sizes" } }),
   *     node(({ sizes }: { sizes: number[] }) => Math.max(...sizes), named("longest")),
   *   ],
   * });
   * const out = await outer.run({ inputs: { docs: ["a", "abc"] } });
   * assert.deepEqual(out, { sizes: [1, 3], longest: 3 });
   * ```
   */
  asNode<const O extends AsNodeOptions = Record<never, never>>(
    options?: O,
  ): NestedNodeOf<N, O> {
    const { name, graph, bound, outputs, engine } = this.#state;
    return nestedNode(
      { name, graph, bound, outputs, engine },
      options ?? {},
    ) as NestedNodeOf<N, O>;
  }

  /**
   * The pipeline as Graphviz DOT; nested pipelines are clusters. Given a
   * `run` (what the driver's `run()` returned), nodes are coloured by
   * status with their durations.
   */
  toDot(options: DotOptions = {}): string {
    return this.#drawer().toDot(options);
  }

  /**
   * The pipeline as an SVG picture (see `AsyncDriver.toSvg`): nested
   * pipelines and fan-out blocks are clusters, nodes show their source on
   * hover and, given a `run`, their status and duration.
   *
   * @example
   * ```ts
   * import { named, node, Pipeline } from "@braid/braid";
   * import assert from "node:assert/strict";
   *
   * const pipeline = new Pipeline({
   *   nodes: [node(({ x }: { x: number }) => x + 1, named("y"))],
   * });
   * assert.match(await pipeline.toSvg(), /<title>x&#45;&gt;y<\/title>/);
   * ```
   */
  async toSvg(options: SvgOptions = {}): Promise<string> {
    return await this.#drawer().toSvg(options);
  }

  // A driver to draw with: drawing needs no cache, so one made here is not
  // kept for runs.
  #drawer(): AsyncDriver<Record<string, unknown>> {
    return this.#runs ?? createDriver(
      runnerInit(this.#state.engine ?? DEFAULT_ENGINE, this.#state.graph),
    );
  }

  #with(changes: Partial<PipelineState>): Pipeline<N, B> {
    const options: CopyOptions<N> = {
      nodes: this.nodes,
      [STATE]: Object.freeze({ ...this.#state, ...changes }),
    };
    return new Pipeline(options) as unknown as Pipeline<N, B>;
  }

  // The driver that runs this pipeline, made on first use.
  #driver(): AsyncDriver<Record<string, unknown>> {
    return this.#runs ??= createDriver(
      runnerInit(this.#state.engine ?? DEFAULT_ENGINE, this.#state.graph),
    );
  }

  // The driver, once the engine's adapters have accepted the graph (as
  // Builder.build() has them do), checked once per pipeline.
  async #ready(
    outputs: readonly string[] | undefined,
  ): Promise<AsyncDriver<Record<string, unknown>>> {
    if (outputs !== undefined && !Array.isArray(outputs)) {
      throw new TypeError(
        `'outputs' must be an array of names: received ${outputs}`,
      );
    }
    const engine = this.#state.engine ?? DEFAULT_ENGINE;
    if (this.#runs === undefined) await openEngine(engine);
    const driver = this.#driver();
    if (this.#validated !== true) {
      const { hooks } = runnerInit(
        this.#state.engine ?? DEFAULT_ENGINE,
        this.#state.graph,
      );
      if (
        hooks.has("validateNode") || hooks.has("validateGraph") ||
        hooks.has("beforeAnything") || hooks.has("afterGraphBuild")
      ) {
        await (this.#validated ??= checkGraph(hooks, this.#state.graph));
      }
      this.#validated = true;
    }
    return driver;
  }

  #outputs(outputs: readonly string[] | undefined): readonly string[] {
    return outputs ?? this.#state.outputs;
  }

  #options(options: PipelineRunOptions) {
    const bound = this.#state.bound;
    const inputs = options.inputs === undefined
      ? bound
      : bound === EMPTY
      ? options.inputs
      : { ...bound, ...options.inputs };
    return options.signal === undefined
      ? { inputs }
      : { inputs, signal: options.signal };
  }

  #mapOptions(options: PipelineMapOptions) {
    return {
      ...this.#options(options),
      mapOver: options.mapOver,
      ...(options.mapMode === undefined ? {} : { mapMode: options.mapMode }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
    };
  }
}

// What a Builder's adapters hear while it builds, heard by the engine's
// adapters before the pipeline first runs (its graph was built with it).
async function checkGraph(hooks: Hooks, graph: Graph): Promise<void> {
  if (hooks.has("beforeAnything")) {
    await hooks.call("beforeAnything", { config: EMPTY });
  }
  if (hooks.has("afterGraphBuild")) {
    await hooks.call("afterGraphBuild", {
      graph: graphView(graph),
      modules: [],
      config: EMPTY,
    });
  }
  if (hooks.has("validateNode") || hooks.has("validateGraph")) {
    await hooks.validate(graph.list(), EMPTY);
  }
}

// Specs through the same loader as modules: each node is a one-export
// module (so two nodes may share a function), named after its function.
function buildGraph(nodes: readonly PipelineNode[]): Graph {
  if (!Array.isArray(nodes)) {
    throw new TypeError(`'nodes' must be an array: received ${nodes}`);
  }
  const modules = nodes.map((entry, i) => {
    const isDef = isNodeDef(entry);
    if (!isDef && typeof entry !== "function") {
      throw new TypeError(
        `'nodes' must hold node() definitions or functions: received ${entry} at index ${i}`,
      );
    }
    const fn = isDef ? entry.fn : entry;
    const renamed = isDef && entry.modifiers.some((m) => m.phase === "name");
    let key = fn.name;
    if (key.startsWith("_") || (key === "" && renamed)) {
      if (!renamed) {
        throw new InvalidNodeError(
          key,
          'a name starting with "_" marks a private helper; rename the function or give it named(...)',
        );
      }
      key = `node${i + 1}`;
    }
    return {
      label: `pipeline node #${i + 1}`,
      exports: { [key]: entry },
    };
  });
  try {
    return Graph.build(collectSpecs(modules, { config: EMPTY }, false));
  } catch (error) {
    // Every node of a pipeline is in one list: overriding is not an option.
    if (error instanceof DuplicateNodeError) {
      throw new DuplicateNodeError(error.nodeName, error.sources, true);
    }
    throw error;
  }
}
