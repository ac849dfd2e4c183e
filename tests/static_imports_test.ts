// What importing braid loads before any of it runs: mod.ts's static module
// graph (imports that run at load time; `import type` and dynamic
// `import()` left out). A restricted runtime (Deno Deploy) may lack
// node:sqlite and node:v8, and a CommonJS package costs every importer
// Deno's CommonJS loader: none may be in it.
import assert from "node:assert/strict";
import { runDeno } from "./_deno.ts";

interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier: string };
    readonly isDynamic?: boolean;
  }[];
}

async function staticGraph(entry: URL): Promise<Set<string>> {
  const out = await runDeno(["info", "--json", entry.pathname]);
  assert.equal(out.code, 0, out.stderr);
  const { modules, redirects = {} } = JSON.parse(out.stdout) as {
    modules: InfoModule[];
    redirects?: Record<string, string>;
  };
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const resolve = (s: string) => redirects[s] ?? s;
  const reached = new Set<string>();
  const stack = [resolve(entry.href)];
  while (stack.length > 0) {
    const specifier = stack.pop()!;
    if (reached.has(specifier)) continue;
    reached.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code !== undefined && dep.isDynamic !== true) {
        stack.push(resolve(dep.code.specifier));
      }
    }
  }
  return reached;
}

Deno.test("importing mod.ts loads neither node:sqlite nor node:v8, and no CommonJS package", async () => {
  const reached = await staticGraph(new URL("../mod.ts", import.meta.url));
  assert.ok(reached.size > 20, `only ${reached.size} modules reached`);
  for (const builtin of ["node:sqlite", "node:v8"]) {
    assert.ok(!reached.has(builtin), `mod.ts imports ${builtin} statically`);
  }
  const npm = [...reached].filter((s) => s.startsWith("npm:"));
  // The ES-module packages braid imports up front (@opentelemetry/api's
  // ES build, for the OpenTelemetryAdapter); a CommonJS one would start
  // Deno's CommonJS loader (about 20 ms) in every importer.
  assert.deepEqual(
    npm.map((s) => s.replace(/^npm:\/?/, "").replace(/@[^@/]*$/, "")).sort(),
    [
      "@opentelemetry/api",
      "acorn",
      "lru-cache",
      "p-limit",
      "tinyqueue",
      "yocto-queue",
    ],
  );
});
