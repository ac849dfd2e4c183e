/**
 * Materializers (Hamilton's `from_` and `to`): loader and saver nodes made
 * from a format and options. `from.<format>({ target, path })` makes a
 * loader that replaces node `target`; `to.<format>({ id, path,
 * dependencies })` makes a saver node `id`. Formats: json, csv, text,
 * arrow, parquet, and those added with `registerMaterializer`.
 *
 * @module
 */
import { Source } from "../modifiers/_bind.ts";
import { asLoader } from "../modifiers/loader.ts";
import { asSaver } from "../modifiers/saver.ts";
import type { NodeMetadata } from "../events.ts";
import type { NodeSpec } from "../node.ts";
import type { MaterializerFormat } from "./format.ts";
import { arrow } from "./formats/arrow.ts";
import { csv } from "./formats/csv.ts";
import { json } from "./formats/json.ts";
import { parquet } from "./formats/parquet.ts";
import { text } from "./formats/text.ts";

/**
 * A loader or saver node to add to a graph, made by `from.<format>(...)`
 * or `to.<format>(...)`. Frozen.
 *
 * @typeParam N The node it makes.
 * @typeParam K `"loader"` (made by `from.*`: replaces node `N`) or `"saver"`
 *   (made by `to.*`: node `N`).
 */
export interface Materializer<
  N extends string = string,
  K extends "loader" | "saver" = "loader" | "saver",
> {
  /** `"loader"`: replaces its target (`from.*`); `"saver"`: a new node (`to.*`). */
  readonly kind: K;
  /** Its format's name. */
  readonly format: string;
  /** The node it makes: the target it replaces, or its id. */
  readonly name: N;
  /**
   * Its node. Not for users: braid adds it to the graph.
   *
   * @ignore
   */
  readonly spec: NodeSpec;
}

/** Options every `from.<format>(...)` takes; formats add their own. */
export interface FromOptions<T extends string = string> {
  /** The node the loader replaces (or the input it provides). */
  readonly target: T;
  /** Where to read: a path, or `source("name")` for a node or input holding it. */
  readonly path: string | Source;
  /**
   * Format options; a `source("name")` value is read from that node or
   * input when the loader runs.
   */
  readonly [option: string]: unknown;
}

/** Options of `from.csv`. */
export interface CsvFromOptions<T extends string = string>
  extends FromOptions<T> {
  /**
   * `"table"`: an Arrow Table with typed columns; `"rows"`: an array of
   * row objects. @default {"table"}
   */
  readonly as?: "table" | "rows";
  /** The field separator. @default {guessed by papaparse} */
  readonly delimiter?: string;
}

/** Options every `to.<format>(...)` takes; formats add their own. */
export interface ToOptions<I extends string = string> {
  /** The saver node's name: request it by this id. */
  readonly id: I;
  /** Where to write: a path, or `source("name")` for a node or input holding it. */
  readonly path: string | Source;
  /** The nodes whose values are saved. */
  readonly dependencies: readonly string[];
  /**
   * Makes the saved value from the dependencies' values (by name). Without
   * it, one dependency is saved as it is, several as the object of their
   * values by name (the table formats take that as columns).
   */
  readonly combine?: (values: Readonly<Record<string, unknown>>) => unknown;
  /** Format options; a `source("name")` value is read when the saver runs. */
  readonly [option: string]: unknown;
}

/** Makes a loader materializer of one format. */
export type FromFactory<O extends FromOptions = FromOptions> = <
  const T extends string,
>(options: O & FromOptions<T>) => Materializer<T, "loader">;

/** Makes a saver materializer of one format. */
export type ToFactory = <const I extends string>(
  options: ToOptions<I>,
) => Materializer<I, "saver">;

/** The loader materializers: `from.json(...)`, `from.csv(...)`, ... */
export interface FromMaterializers {
  /** A JSON file: its parsed value. */
  readonly json: FromFactory;
  /** A CSV file (papaparse): an Arrow Table, or with `as: "rows"` row objects. */
  readonly csv: FromFactory<CsvFromOptions>;
  /** A text file: a string (`encoding`, default UTF-8). */
  readonly text: FromFactory;
  /** An Arrow IPC file: an Arrow Table. */
  readonly arrow: FromFactory;
  /** A Parquet file (hyparquet): an Arrow Table. */
  readonly parquet: FromFactory;
  /** Formats added with `registerMaterializer`. */
  readonly [format: string]: FromFactory | undefined;
}

/** The saver materializers: `to.json(...)`, `to.csv(...)`, ... */
export interface ToMaterializers {
  /** A JSON file (`indent`, default 2). */
  readonly json: ToFactory;
  /** A CSV file, from a Table, rows or columns. */
  readonly csv: ToFactory;
  /** A text file, from a string. */
  readonly text: ToFactory;
  /** An Arrow IPC file, from a Table, rows or columns. */
  readonly arrow: ToFactory;
  /** A Parquet file (hyparquet-writer), from a Table, rows or columns. */
  readonly parquet: ToFactory;
  /** Formats added with `registerMaterializer`. */
  readonly [format: string]: ToFactory | undefined;
}

const formats = new Map<string, MaterializerFormat>();
const fromFactories: Record<string, FromFactory> = {};
const toFactories: Record<string, ToFactory> = {};

/**
 * The loader materializers, by format: `from.csv({ target: "orders",
 * path: "orders.csv" })` makes a loader that replaces node `orders`.
 *
 * @example
 * ```ts
 * import { Builder, from } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, '{"rate": 2}');
 * const dr = await new Builder()
 *   .withModules({
 *     settings: (): { rate: number } => ({ rate: 1 }),
 *     doubled: ({ settings }: { settings: { rate: number } }) => 2 * settings.rate,
 *   })
 *   .withMaterializers(from.json({ target: "settings", path }))
 *   .build();
 * assert.deepEqual(await dr.execute(["doubled"]), { doubled: 4 });
 * await Deno.remove(path);
 * ```
 */
export const from: FromMaterializers = fromFactories as FromMaterializers;

/**
 * The saver materializers, by format: `to.csv({ id: "save_orders", path:
 * "out.csv", dependencies: ["orders"] })` makes a saver node
 * `save_orders`.
 *
 * @example
 * ```ts
 * import { Builder, to } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile({ suffix: ".txt" });
 * const dr = await new Builder()
 *   .withModules({ report: () => "all good" })
 *   .build();
 * const [metadata] = await dr.materialize([
 *   to.text({ id: "save_report", path, dependencies: ["report"] }),
 * ]);
 * assert.equal(metadata.save_report?.bytes, 8);
 * assert.equal(await Deno.readTextFile(path), "all good");
 * await Deno.remove(path);
 * ```
 */
export const to: ToMaterializers = toFactories as ToMaterializers;

/**
 * Adds a format: afterwards `from.<name>(...)` exists when it has `load`
 * (returning `[value, metadata]`) and `to.<name>(...)` when it has `save`
 * (returning metadata). A name is registered once: registering it again,
 * or a built-in's name, is a TypeError.
 *
 * @example
 * ```ts
 * import { Builder, from, registerMaterializer } from "@braid/braid";
 * import assert from "node:assert/strict";
 *
 * registerMaterializer({
 *   name: "env",
 *   load: ({ path }) => [Deno.env.get(path) ?? "", { variable: path }],
 * });
 * const dr = await new Builder()
 *   .withModules({ home: (): string => "" })
 *   .withMaterializers(from.env!({ target: "home", path: "HOME" }))
 *   .build();
 * const run = await dr.run(["home"]);
 * assert.deepEqual(run.nodes[0]?.metadata, { variable: "HOME" });
 * ```
 */
export function registerMaterializer(format: MaterializerFormat): void {
  if (typeof format !== "object" || format === null) {
    throw new TypeError(
      `'format' must be an object with a name, load or save: received ${format}`,
    );
  }
  const { name, load, save } = format;
  if (typeof name !== "string" || !/^[A-Za-z_$][\w$]*$/.test(name)) {
    throw new TypeError(
      `'name' must be an identifier (it becomes from.<name> and to.<name>): received ${name}`,
    );
  }
  if (formats.has(name)) {
    throw new TypeError(`A materializer named "${name}" is already registered`);
  }
  if (load === undefined && save === undefined) {
    throw new TypeError(`Materializer "${name}" needs a load or a save`);
  }
  for (const [key, fn] of [["load", load], ["save", save]] as const) {
    if (fn !== undefined && typeof fn !== "function") {
      throw new TypeError(
        `'${key}' of materializer "${name}" must be a function`,
      );
    }
  }
  formats.set(name, Object.freeze({ ...format }));
  if (load !== undefined) fromFactories[name] = fromFactory(name, load);
  if (save !== undefined) toFactories[name] = toFactory(name, save);
}

// The options that are sources (read from the graph when the node runs),
// and the others as given.
function splitOptions(
  options: Readonly<Record<string, unknown>>,
): [Readonly<Record<string, unknown>>, [string, string][]] {
  const literal: Record<string, unknown> = {};
  const sources: [string, string][] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value instanceof Source) sources.push([key, value.name]);
    else literal[key] = value;
  }
  return [literal, sources];
}

function resolve(
  literal: Readonly<Record<string, unknown>>,
  sources: readonly [string, string][],
  args: Readonly<Record<string, unknown>>,
  what: string,
): { path: string; [option: string]: unknown } {
  const options: Record<string, unknown> = { ...literal };
  for (const [key, name] of sources) options[key] = args[name];
  if (typeof options.path !== "string" || options.path === "") {
    throw new TypeError(
      `${what} needs a path (a string): received ${describe(options.path)}`,
    );
  }
  return options as { path: string };
}

function checkPath(path: unknown, what: string): void {
  if (!(path instanceof Source) && (typeof path !== "string" || path === "")) {
    throw new TypeError(
      `${what} needs 'path': a string or source("name"): received ${
        describe(path)
      }`,
    );
  }
}

function checkName(name: unknown, option: string, what: string): void {
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `${what} needs '${option}', a node name: received ${describe(name)}`,
    );
  }
}

function spec(
  name: string,
  kind: string,
  fn: (args: Record<string, unknown>) => unknown,
  inputs: readonly string[],
  codeParts: readonly unknown[],
): NodeSpec {
  return {
    name,
    fn,
    inputs: inputs.map((input) => ({ name: input, optional: false })),
    callStyle: "declared",
    ctxIndex: -1,
    tags: Object.freeze({}),
    originalName: name,
    modifiers: Object.freeze([kind]),
    // The format and the options as given version its code: another file
    // or format under the same node name is another node.
    codeParts: Object.freeze([...codeParts]),
  };
}

function fromFactory(
  format: string,
  load: NonNullable<MaterializerFormat["load"]>,
): FromFactory {
  return (options) => {
    const what = `from.${format}`;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${what} takes an options object`);
    }
    const { target, ...rest } = options;
    checkName(target, "target", what);
    checkPath(rest.path, what);
    const [literal, sources] = splitOptions(rest);
    const inputs = [...new Set(sources.map(([, name]) => name))];
    const loaderOf = `${what} of "${target}"`;
    const fn = (args: Record<string, unknown>) =>
      load(resolve(literal, sources, args, loaderOf));
    return Object.freeze({
      kind: "loader" as const,
      format,
      name: target,
      spec: Object.freeze(
        asLoader(spec(target, what, fn, inputs, [format, literal, load])),
      ),
    });
  };
}

function toFactory(
  format: string,
  save: NonNullable<MaterializerFormat["save"]>,
): ToFactory {
  return (options) => {
    const what = `to.${format}`;
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${what} takes an options object`);
    }
    const { id, dependencies, combine, ...rest } = options;
    checkName(id, "id", what);
    checkPath(rest.path, what);
    if (
      !Array.isArray(dependencies) || dependencies.length === 0 ||
      dependencies.some((d) => typeof d !== "string" || d === "")
    ) {
      throw new TypeError(
        `${what} "${id}" needs 'dependencies': a non-empty list of node names`,
      );
    }
    if (combine !== undefined && typeof combine !== "function") {
      throw new TypeError(`'combine' of ${what} "${id}" must be a function`);
    }
    const [literal, sources] = splitOptions(rest);
    const inputs = [
      ...new Set([...dependencies, ...sources.map(([, name]) => name)]),
    ];
    const saverOf = `${what} "${id}"`;
    const fn = (args: Record<string, unknown>) => {
      let value: unknown;
      if (combine === undefined && dependencies.length === 1) {
        value = args[dependencies[0]!];
      } else {
        const values: Record<string, unknown> = {};
        for (const name of dependencies) values[name] = args[name];
        value = combine === undefined ? values : combine(values);
      }
      return save(value, resolve(literal, sources, args, saverOf));
    };
    return Object.freeze({
      kind: "saver" as const,
      format,
      name: id,
      spec: Object.freeze(
        asSaver(
          spec(id, what, fn, inputs, [
            format,
            literal,
            dependencies,
            combine,
            save,
          ]),
        ),
      ),
    });
  };
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}

for (const format of [json, csv, text, arrow, parquet]) {
  registerMaterializer(format);
}

/** The metadata `materialize()` returns, by materializer node. */
export type MaterializationMetadata = Readonly<Record<string, NodeMetadata>>;

/**
 * Type-level: the saver nodes `materializers` add, as a module of
 * functions returning metadata, so that `execute` accepts their ids. Their
 * inputs (dependencies, `source()` options) are not known to the type
 * system, as a positional function's are not.
 */
export type SaverNodes<T extends readonly Materializer[]> = {
  readonly [
    K in T[number] as K extends Materializer<infer N, "saver"> ? N : never
  ]: (...inputs: unknown[]) => NodeMetadata;
};
