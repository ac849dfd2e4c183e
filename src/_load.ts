// Turns the modules given to a builder into node specs: imports specifiers,
// picks the exports that are nodes, applies modifiers, rejects duplicates.
import { DuplicateNodeError, InvalidNodeError } from "./errors.ts";
import { CLASS_SOURCE, type ParsedParams, readParams } from "./_params.ts";
import { SpecIndex } from "./_spec_index.ts";
import { type Caller, callerUrl } from "./_call_site.ts";
import { MutateModifier } from "./modifiers/mutate.ts";
import { postProcess, type Step } from "./modifiers/pipe.ts";
import {
  type AnyFn,
  CTX,
  isNodeDef,
  modifiedSpecs,
  type ModifierContext,
  moduleTags,
  type NodeDef,
  type NodeSpec,
  ownName,
  plainSpec,
  simpleSpec,
} from "./node.ts";

/** A module as given to `withModules`: a namespace, an object, or a specifier. */
export type ModuleInput = string | URL | Readonly<Record<string, unknown>>;

interface LoadedModule {
  readonly label: string;
  readonly url?: string;
  readonly exports: Readonly<Record<string, unknown>>;
}

// A specifier that names a module relative to another: "./x.ts", "../x.ts".
const RELATIVE = /^\.\.?\//;

/**
 * `module` with a relative specifier resolved against the module that called
 * `below` (as `import` resolves it), so a script finds its modules from any
 * working directory. Where the caller is not a module (an eval, the REPL)
 * there is nothing to resolve against: a `TypeError` shows the fix.
 */
export function resolveAgainstCaller<M>(
  module: M,
  below: Caller,
): M | string {
  if (typeof module !== "string" || !RELATIVE.test(module)) return module;
  const base = callerUrl(below);
  if (base === undefined || !/^[a-z][a-z0-9+.-]*:/i.test(base)) {
    throw new TypeError(
      `'modules': cannot resolve the relative specifier "${module}": the ` +
        `caller is not a module; pass new URL("${module}", import.meta.url)`,
    );
  }
  return new URL(module, base).href;
}

/** Imports `specifier` (a URL, or a path: absolute, or from the working directory). */
async function importModule(specifier: string | URL): Promise<LoadedModule> {
  const url = specifier instanceof URL
    ? specifier.href
    : /^[a-z][a-z0-9+.-]*:/i.test(specifier)
    ? specifier
    : new URL(specifier, `file://${Deno.cwd()}/`).href;
  const exports = await import(url);
  return { label: url, url, exports };
}

/** Loads every module, in order. */
export function loadModules(
  modules: readonly ModuleInput[],
): Promise<LoadedModule[]> {
  return Promise.all(
    modules.map((m, i) =>
      typeof m === "string" || m instanceof URL
        ? importModule(m)
        : Promise.resolve({ label: `module #${i + 1}`, exports: m })
    ),
  );
}

// Classes are functions too, but never nodes. Arrows and methods have no
// own prototype, so only function declarations and classes have their
// source read (asking for the prototype's descriptor would make V8 create
// every function's prototype object).
function isClass(fn: AnyFn): boolean {
  return Object.hasOwn(fn, "prototype") &&
    CLASS_SOURCE.test(Function.prototype.toString.call(fn));
}

// The parameter lists of a module's functions, kept while its exports
// object lives, so that building from the same module again reads none of
// them. One entry per module, where one per function would cost more than
// reading a short list.
const moduleParams = new WeakMap<object, {
  readonly fns: readonly AnyFn[];
  readonly parsed: readonly (ParsedParams | undefined)[];
}>();

// A module's exports that may be nodes, at their positions among its keys:
// definitions, and functions not `_private` (a class among them is known
// once its source is read). Mutations are gathered on the way.
interface Scan {
  readonly keys: readonly string[];
  readonly candidates: readonly (NodeDef | AnyFn | undefined)[];
  /** The functions whose parameters are read, in order. */
  readonly toParse: AnyFn[];
  /** Their parameter lists, once read. */
  parsed: readonly (ParsedParams | undefined)[];
}

function scan(
  exports: Readonly<Record<string, unknown>>,
  mutations: { fn: AnyFn; modifier: MutateModifier }[],
): Scan {
  const keys = Object.keys(exports);
  const candidates = new Array<NodeDef | AnyFn | undefined>(keys.length);
  const toParse: AnyFn[] = [];
  for (let e = 0; e < keys.length; e++) {
    const exportName = keys[e]!;
    const value = exports[exportName];
    if (isNodeDef(value)) {
      // Mutators are usually `_private`, so not nodes; their mutations
      // still apply, once every module is loaded.
      for (const modifier of value.modifiers) {
        if (modifier instanceof MutateModifier) {
          mutations.push({ fn: value.fn, modifier });
        }
      }
      if (exportName.startsWith("_")) continue;
      candidates[e] = value;
      if (value.declared === undefined) toParse.push(value.fn);
    } else if (typeof value === "function" && !exportName.startsWith("_")) {
      candidates[e] = value as AnyFn;
      toParse.push(value as AnyFn);
    }
  }
  return { keys, candidates, toParse, parsed: [] };
}

// Fills in every scan's parameter lists: those of modules read before are
// kept, the rest read in one pass for all modules together (a Pipeline
// gives each node a module of its own, and one pass each would set acorn
// up once per node).
function readAllParams(
  modules: readonly LoadedModule[],
  scans: readonly Scan[],
): void {
  const missed: number[] = [];
  const fns: AnyFn[] = [];
  for (let m = 0; m < scans.length; m++) {
    const scan = scans[m]!;
    const known = moduleParams.get(modules[m]!.exports);
    if (known !== undefined && sameFunctions(known.fns, scan.toParse)) {
      scan.parsed = known.parsed;
    } else if (scan.toParse.length > 0) {
      missed.push(m);
      for (const fn of scan.toParse) fns.push(fn);
    }
  }
  if (fns.length === 0) return;
  const read = readParams(fns);
  let at = 0;
  for (const m of missed) {
    const scan = scans[m]!;
    scan.parsed = read.slice(at, at += scan.toParse.length);
    moduleParams.set(modules[m]!.exports, {
      fns: scan.toParse,
      parsed: scan.parsed,
    });
  }
}

function sameFunctions(a: readonly AnyFn[], b: readonly AnyFn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The specs of all modules. A name defined twice in one module is always an
 * error; across modules it is one unless `allowOverrides`, when the later
 * module wins.
 */
export function collectSpecs(
  modules: readonly LoadedModule[],
  context: ModifierContext,
  allowOverrides: boolean,
): SpecIndex {
  const byName = new SpecIndex();
  const mutations: { fn: AnyFn; modifier: MutateModifier }[] = [];
  // Which module defined each name last, for names defined more than once;
  // a name first defined by module m sits at a position from starts[m] on.
  const starts: number[] = [];
  const redefinedIn = new Map<string, number>();
  const moduleOf = (name: string) =>
    redefinedIn.get(name) ??
      starts.findLastIndex((start) => start <= byName.positions.get(name)!);
  const scans = modules.map((module) => scan(module.exports, mutations));
  readAllParams(modules, scans);
  for (let m = 0; m < modules.length; m++) {
    const module = modules[m]!;
    starts.push(byName.size);
    const { keys, candidates, parsed } = scans[m]!;
    const tags = moduleTags(module.url ?? module.label);
    let p = 0;
    const add = (spec: NodeSpec, exportName: string) => {
      const name = spec.name;
      if (name === CTX) {
        throw new InvalidNodeError(
          CTX,
          '"ctx" is reserved for the run context; rename the node',
        );
      }
      const previous = byName.put(spec);
      if (previous === undefined) return;
      // put() keeps the name's position, so this still finds the module
      // of the definition just replaced.
      const earlier = moduleOf(name);
      if (earlier === m || !allowOverrides) {
        throw new DuplicateNodeError(name, [
          `export "${previous.originalName}" of ${modules[earlier]!.label}`,
          `export "${exportName}" of ${module.label}`,
        ], earlier === m);
      }
      redefinedIn.set(name, m);
    };
    for (let e = 0; e < keys.length; e++) {
      const value = candidates[e];
      if (value === undefined) continue;
      const exportName = keys[e]!;
      if (typeof value === "function") {
        // A plain function: one spec, made straight from its parameters.
        const params = parsed[p++];
        if (params === undefined && isClass(value)) continue;
        add(
          plainSpec(value, exportName, module.url, params, tags),
          exportName,
        );
        origin(byName, value, exportName);
        continue;
      }
      const params = value.declared === undefined ? parsed[p++] : undefined;
      const simple = simpleSpec(value, exportName, module.url, params, tags);
      if (simple !== undefined) {
        add(simple, exportName);
        origin(byName, value, simple.name);
        continue;
      }
      const specs = modifiedSpecs(
        value,
        exportName,
        context,
        module.url,
        params,
        tags,
      );
      for (let s = 0; s < specs.length; s++) add(specs[s]!, exportName);
      const own = ownName(value, exportName);
      // Only a config variant's gate drops every spec.
      if (specs.length === 0) byName.unmatchedVariants.add(own);
      if (specs.some((spec) => spec.name === own)) origin(byName, value, own);
    }
  }
  applyMutations(byName, mutations, context);
  return byName;
}

// Records that `value` (a function or definition) defines node `name`.
function origin(byName: SpecIndex, value: object, name: string): void {
  const known = byName.origins.get(value);
  byName.origins.set(
    value,
    known === undefined || known === name ? name : null,
  );
}

// Applies every mutator to its targets: all of a target's mutators, in the
// order their modules and targets were given, become one chain
// `target.raw -> m1 -> m2 -> target`.
function applyMutations(
  byName: SpecIndex,
  mutations: readonly { fn: AnyFn; modifier: MutateModifier }[],
  context: ModifierContext,
): void {
  const chains = new Map<string, Step[]>();
  for (const { fn, modifier } of mutations) {
    for (const target of modifier.targets) {
      for (const name of target.outputs ?? [target.name]) {
        if (!byName.has(name)) {
          throw new InvalidNodeError(
            name,
            `mutate (from function "${fn.name}") targets a node that does not exist`,
          );
        }
        let chain = chains.get(name);
        if (chain === undefined) chains.set(name, chain = []);
        chain.push(modifier.stepFor(fn, target));
      }
    }
  }
  for (const [name, steps] of chains) {
    for (const spec of postProcess(byName.get(name)!, steps, context, name)) {
      byName.put(Object.freeze(spec));
    }
  }
}
