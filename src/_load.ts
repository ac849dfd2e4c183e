// Turns the modules given to a builder into node specs: imports specifiers,
// picks the exports that are nodes, applies modifiers, rejects duplicates.
import { DuplicateNodeError, InvalidNodeError } from "./errors.ts";
import {
  type AnyFn,
  CTX,
  isNodeDef,
  type ModifierContext,
  node,
  type NodeDef,
  type NodeSpec,
  toSpecs,
} from "./node.ts";

/** A module as given to `withModules`: a namespace, an object, or a specifier. */
export type ModuleInput = string | URL | Readonly<Record<string, unknown>>;

interface LoadedModule {
  readonly label: string;
  readonly url?: string;
  readonly exports: Readonly<Record<string, unknown>>;
}

/**
 * Imports `specifier`. Relative paths resolve against the working directory;
 * use `import.meta.resolve("./x.ts")` to resolve against your own module.
 */
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

/** Whether an export is a node: a NodeDef or a plain function, not `_private`. */
function asNodeDef(name: string, value: unknown): NodeDef | undefined {
  if (name.startsWith("_")) return undefined;
  if (isNodeDef(value)) return value;
  if (typeof value !== "function") return undefined;
  // Classes are functions too, but never nodes.
  if (/^class\b/.test(Function.prototype.toString.call(value))) {
    return undefined;
  }
  return node(value as AnyFn);
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
): NodeSpec[] {
  const byName = new Map<string, { spec: NodeSpec; label: string }>();
  for (const module of modules) {
    const own = new Set<string>();
    for (const [exportName, value] of Object.entries(module.exports)) {
      const def = asNodeDef(exportName, value);
      if (def === undefined) continue;
      for (const spec of toSpecs(def, exportName, context, module.url)) {
        if (spec.name === CTX) {
          throw new InvalidNodeError(
            CTX,
            '"ctx" is reserved for the run context; rename the node',
          );
        }
        const previous = byName.get(spec.name);
        if (previous !== undefined) {
          if (own.has(spec.name) || !allowOverrides) {
            throw new DuplicateNodeError(spec.name, [
              previous.label,
              module.label,
            ]);
          }
          byName.delete(spec.name);
        }
        own.add(spec.name);
        byName.set(spec.name, { spec, label: module.label });
      }
    }
  }
  return [...byName.values()].map((entry) => entry.spec);
}
