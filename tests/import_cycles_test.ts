// No import cycles between the modules of src/ (DESIGN.md): a module in a
// cycle can run while another is only half initialised, and a cycle ties
// modules that should stand in layers.
//
// The graph is Deno's own (`deno info --json`), from mod.ts and from every
// file of src/ that mod.ts does not reach statically (the worker entry,
// what loads on demand). Only imports that exist at run time count:
// `import type` and `export type` are left out (deno info lists them as
// "type" dependencies). An import written as `import { type A }`, or one
// whose names are all used as types only, is dropped by Deno when it
// strips types, but deno info lists it as "code": it counts here, which
// can only report more cycles, never hide one; write such imports as
// `import type`. Dynamic `import()` counts too: it runs after both modules
// are initialised, but it still ties them in a cycle.
import assert from "node:assert/strict";
import { DirectedGraph } from "graphology";
import { stronglyConnectedComponents } from "graphology-components";
import { runDeno } from "./_deno.ts";

const root = new URL("../", import.meta.url);
const src = new URL("src/", root).href;

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier: string };
  }[];
}

async function info(file: string): Promise<readonly InfoModule[]> {
  const out = await runDeno(["info", "--json", file]);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout).modules;
}

async function sourceFiles(dir: URL): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) files.push(...await sourceFiles(url));
    else if (entry.name.endsWith(".ts")) files.push(url.href);
  }
  return files.sort();
}

/** The run-time imports between modules of src/, by module. */
async function importGraph(): Promise<DirectedGraph> {
  const graph = new DirectedGraph();
  const seen = new Set<string>();
  const add = (modules: readonly InfoModule[]) => {
    for (const module of modules) {
      if (!module.specifier.startsWith(src) || seen.has(module.specifier)) {
        continue;
      }
      seen.add(module.specifier);
      graph.mergeNode(module.specifier);
      for (const dependency of module.dependencies ?? []) {
        const target = dependency.code?.specifier;
        if (target?.startsWith(src)) graph.mergeEdge(module.specifier, target);
      }
    }
  };
  add(await info(new URL("mod.ts", root).href));
  for (const file of await sourceFiles(new URL(src))) {
    if (!seen.has(file)) add(await info(file));
  }
  return graph;
}

/** One shortest cycle through `from` inside `members`, as a path. */
function cycleThrough(
  graph: DirectedGraph,
  from: string,
  members: ReadonlySet<string>,
): string[] {
  const previous = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const next of graph.outNeighbors(at)) {
      if (!members.has(next)) continue;
      if (next === from) {
        const path = [from];
        for (let step = at; step !== from; step = previous.get(step)!) {
          path.unshift(step);
        }
        return [from, ...path];
      }
      if (!previous.has(next)) {
        previous.set(next, at);
        queue.push(next);
      }
    }
  }
  return [from];
}

Deno.test("src/ has no import cycles between modules at run time", async () => {
  const graph = await importGraph();
  assert.ok(graph.order > 50, `only ${graph.order} modules found in src/`);
  const name = (url: string) => url.slice(src.length);
  const cycles = stronglyConnectedComponents(graph)
    .filter((set) => set.length > 1)
    .map((set) => {
      const sorted = [...set].sort();
      const path = cycleThrough(graph, sorted[0]!, new Set(set));
      return `${sorted.map(name).join(", ")}\n    e.g. ${
        path.map(name).join(" -> ")
      }`;
    })
    .sort();
  assert.deepEqual(
    cycles,
    [],
    `Import cycles between modules of src/ (each set imports itself at run time):\n  ${
      cycles.join("\n  ")
    }\n`,
  );
});
