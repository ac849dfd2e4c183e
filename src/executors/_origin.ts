// Where a worker finds a node: the module URL and the export that holds its
// function. Checked in this thread, against the very module a worker will
// import, so a node that cannot run on a worker fails before anything runs.
import { WorkerError } from "../errors.ts";
import { definedIn, isNodeDef, type NodeSpec } from "../node.ts";

/** A node's module URL and export name. */
export interface Origin {
  readonly url: string;
  readonly exportName: string;
}

const origins = new WeakMap<NodeSpec, Promise<Origin>>();

/** The origin of `spec`'s function, or a `WorkerError` saying why it has none. */
export function originOf(spec: NodeSpec): Promise<Origin> {
  let origin = origins.get(spec);
  if (origin === undefined) {
    origin = find(spec);
    origins.set(spec, origin);
  }
  return origin;
}

function holds(value: unknown, fn: unknown): boolean {
  return value === fn || (isNodeDef(value) && value.fn === fn);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype;
}

const FIX =
  'export it from a module file (as a function, or as node(...) called in that file), or use the "async" executor';

async function find(spec: NodeSpec): Promise<Origin> {
  const fn = spec.fn;
  const url =
    spec.module !== undefined && /^[a-z][a-z0-9+.-]*:/i.test(spec.module)
      ? spec.module
      : definedIn(fn);
  const name = spec.name;
  if (url === undefined) {
    throw new WorkerError(
      `Node "${name}" cannot run on a worker: its function${
        fn.name ? ` "${fn.name}"` : ""
      } is an inline closure or comes from an object, so a worker cannot import it (workers share no memory with this thread); ${FIX}. Modules given to withModules() as namespaces need their functions defined with node(), or the module passed as a specifier (import.meta.resolve("./nodes.ts"))`,
      { nodeName: name },
    );
  }
  const exports: Record<string, unknown> = await import(url);
  const names = Object.keys(exports);
  // The export braid loaded it from first, then any export holding it.
  if (names.includes(spec.originalName)) {
    names.unshift(spec.originalName);
  }
  for (const exportName of names) {
    const value = exports[exportName];
    if (holds(value, fn)) return { url, exportName };
  }
  // A module may also export objects of nodes: `group.key`.
  for (const exportName of names) {
    const group = exports[exportName];
    if (!isPlainObject(group)) continue;
    for (const key of Object.keys(group)) {
      if (holds(group[key], fn)) {
        return { url, exportName: `${exportName}.${key}` };
      }
    }
  }
  throw new WorkerError(
    `Node "${name}" cannot run on a worker: its function${
      fn.name ? ` "${fn.name}"` : ""
    } is not exported from ${url}, and a worker can only import exports (a function a modifier generates is not one either); ${FIX}`,
    { nodeName: name },
  );
}
