// Where a worker finds a node: the module URL and the export that holds its
// function, from what its spec knows (the module the builder imported and
// the export it found the function under, or where node() was called).
// Checked in this thread, against the very module a worker will import, so
// a node that cannot run on a worker fails before anything runs.
import { WorkerError } from "../errors.ts";
import { isNodeDef, type NodeSpec } from "../node.ts";

/** A node's module URL and export name. */
export interface Origin {
  readonly url: string;
  readonly exportName: string;
}

// A memo per spec (not a fact about it: the spec holds those), so that the
// plans of one graph check each node once.
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

// Per module: every function it exports, directly or in an exported object
// of nodes (`group.key`), by function. Built once per module, so finding
// 10,000 nodes costs 10,000 lookups, not a scan each.
const indexes = new Map<string, Promise<Map<unknown, string>>>();

function indexOf(url: string): Promise<Map<unknown, string>> {
  let index = indexes.get(url);
  if (index === undefined) {
    index = import(url).then((exports: Record<string, unknown>) => {
      const byFn = new Map<unknown, string>();
      const add = (value: unknown, name: string) => {
        const fn = isNodeDef(value) ? value.fn : value;
        if (typeof fn === "function" && !byFn.has(fn)) byFn.set(fn, name);
      };
      for (const name of Object.keys(exports)) add(exports[name], name);
      for (const name of Object.keys(exports)) {
        const group = exports[name];
        if (!isPlainObject(group)) continue;
        for (const key of Object.keys(group)) {
          add(group[key], `${name}.${key}`);
        }
      }
      return byFn;
    });
    indexes.set(url, index);
  }
  return index;
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
      : spec.definedAt?.url;
  const name = spec.name;
  const known = spec.exportName;
  if (url !== undefined && url === spec.module && known !== undefined) {
    // Found there when the graph was built. A modifier written outside
    // braid may have replaced the function and kept the fact: check it.
    const value = (await import(url))[known];
    if ((isNodeDef(value) ? value.fn : value) === fn) {
      return { url, exportName: known };
    }
  }
  if (url === undefined) {
    throw new WorkerError(
      `Node "${name}" cannot run on a worker: its function${
        fn.name ? ` "${fn.name}"` : ""
      } is an inline closure or comes from an object, so a worker cannot import it (workers share no memory with this thread); ${FIX}. Modules given to withModules() as namespaces need their functions defined with node(), or the module passed as a specifier (import.meta.resolve("./nodes.ts"))`,
      { nodeName: name },
    );
  }
  const exportName = (await indexOf(url)).get(fn);
  if (exportName !== undefined) return { url, exportName };
  throw new WorkerError(
    `Node "${name}" cannot run on a worker: its function${
      fn.name ? ` "${fn.name}"` : ""
    } is not exported from ${url}, and a worker can only import exports (a function a modifier generates is not one either); ${FIX}`,
    { nodeName: name },
  );
}
