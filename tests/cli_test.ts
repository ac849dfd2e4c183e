// The braid command line, run as a user runs it: a subprocess started in a
// directory of its own, with a module of nodes there.
import assert from "node:assert/strict";
import { SqliteRunStore } from "../mod.ts";
import { tempDir } from "./runs/_helpers.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

const FLOW = `
export function a({ x }: { x: number }) { return x + 1; }
export function b({ a }: { a: number }) { return a * 2; }
export function bad({ a }: { a: number }): number { throw new Error("bad " + a); }
`;

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function braid(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Output> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

async function project(): Promise<
  { readonly path: string } & AsyncDisposable
> {
  const dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/flow.ts`, FLOW);
  return dir;
}

Deno.test("braid run prints the values as JSON, recording into .braid/runs.db and caching into .braid_cache of the working directory", async () => {
  await using dir = await project();
  const out = await braid(dir.path, [
    "run",
    "flow.ts",
    "--outputs",
    "b",
    "--inputs",
    '{"x":1}',
  ]);
  assert.equal(out.code, 0, out.stderr);
  const { runId, outputs } = JSON.parse(out.stdout);
  assert.deepEqual(outputs, { b: 4 });
  assert.ok((await Deno.stat(`${dir.path}/.braid_cache`)).isDirectory);
  const store = new SqliteRunStore(`${dir.path}/.braid/runs.db`);
  try {
    assert.equal(store.get(runId)?.status, "succeeded");
    assert.deepEqual(store.nodes(runId).map((n) => n.cache), ["miss", "miss"]);
  } finally {
    store.close();
  }
});

Deno.test("braid reads --inputs from @file, and resolves paths against --cwd (what deno task braid passes)", async () => {
  await using dir = await project();
  await Deno.writeTextFile(`${dir.path}/inputs.json`, '{"x":4}');
  // deno task runs in deno.json's directory; the task passes the user's.
  const out = await braid(Deno.cwd(), [
    "--cwd",
    dir.path,
    "run",
    "flow.ts",
    "--outputs",
    "b",
    "--inputs",
    "@inputs.json",
    "--no-cache",
  ]);
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout).outputs, { b: 10 });
  const list = await braid(dir.path, ["runs", "list", "--json"]);
  assert.equal(JSON.parse(list.stdout).length, 1);
});

Deno.test("braid errors are one line on stderr and a non-zero exit", async () => {
  await using dir = await project();
  const failed = await braid(dir.path, [
    "run",
    "flow.ts",
    "--outputs",
    "bad",
    "--inputs",
    '{"x":1}',
  ]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /^braid: run \S+ failed: Node "bad" failed: bad 2/,
  );
  const bad = await braid(dir.path, ["run", "flow.ts", "--inputs", "{oops"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^braid: --inputs is not valid JSON: .*\n$/);
  const unknown = await braid(dir.path, ["launch"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "braid: unknown command 'launch'\n");
  const noStore = await braid(dir.path, ["runs", "list", "--store", "x.db"]);
  assert.equal(noStore.code, 1);
  assert.match(noStore.stderr, /^braid: no run store at .*x\.db/);
  for (const out of [failed, bad, unknown, noStore]) {
    assert.equal(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
  }
});

Deno.test("braid --help works on every command", async () => {
  await using dir = await project();
  for (
    const command of [
      [],
      ["run"],
      ["graph"],
      ["runs", "list"],
      ["runs", "show"],
      ["reexecute"],
      ["lineage"],
      ["ui"],
      ["worker"],
    ]
  ) {
    const out = await braid(dir.path, [...command, "--help"]);
    assert.equal(out.code, 0, `${command.join(" ")}: ${out.stderr}`);
    assert.match(out.stdout, /Usage: /, command.join(" "));
  }
});

Deno.test("braid runs, reexecute and lineage read the store run wrote", async () => {
  await using dir = await project();
  const first = await braid(dir.path, [
    "run",
    "flow.ts",
    "--outputs",
    "b",
    "--inputs",
    '{"x":1}',
    "--tags",
    '{"team":"data"}',
  ]);
  const { runId } = JSON.parse(first.stdout);
  const list = await braid(dir.path, ["runs", "list", "--tag", "team=data"]);
  assert.match(list.stdout, new RegExp(`^${runId}  succeeded`));
  const show = await braid(dir.path, ["runs", "show", runId]);
  assert.match(
    show.stdout,
    /\n {2}a {2}succeeded .* cache miss {2}sequential\n/,
  );
  const again = await braid(dir.path, ["reexecute", runId, "--select", "b+"]);
  assert.equal(again.code, 0, again.stderr);
  const child = JSON.parse(again.stdout);
  assert.deepEqual(child.outputs, { b: 4 });
  const shown = await braid(dir.path, ["runs", "show", child.runId, "--json"]);
  assert.equal(JSON.parse(shown.stdout).parentRunId, runId);
  const csv = await braid(dir.path, ["lineage", runId, "--format", "csv"]);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trimEnd().split("\n");
  assert.equal(
    lines[0],
    "node,cacheKey,codeVersion,dataVersion,dependencies,outcome,planSignature",
  );
  assert.deepEqual(lines.slice(1).map((l) => l.split(",")[0]), ["a", "b"]);
});

Deno.test("braid graph writes an SVG picture, or prints DOT", async () => {
  await using dir = await project();
  const svg = await braid(dir.path, ["graph", "flow.ts", "--svg", "g.svg"]);
  assert.equal(svg.code, 0, svg.stderr);
  assert.match(await Deno.readTextFile(`${dir.path}/g.svg`), /<svg[\s\S]*>b</);
  const dot = await braid(dir.path, ["graph", "flow.ts"]);
  assert.match(dot.stdout, /^digraph/);
  assert.match(dot.stdout, /"a" -> "b"/);
});

Deno.test("braid ui serves the run viewer of the working directory's store on loopback", async () => {
  await using dir = await project();
  const first = await braid(dir.path, [
    "run",
    "flow.ts",
    "--outputs",
    "a",
    "--inputs",
    '{"x":1}',
  ]);
  const { runId } = JSON.parse(first.stdout);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, "ui", "--port", "0"],
    cwd: dir.path,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("\n")) said += (await lines.read()).value ?? "";
  const url = said.match(/on (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
  assert.ok(url !== undefined, said);
  const { runs } = await (await fetch(`${url}api/runs`)).json();
  assert.deepEqual(runs.map((r: { id: string }) => r.id), [runId]);
  child.kill("SIGTERM");
  assert.equal((await child.status).code, 0);
  await lines.cancel();
});

Deno.test("braid run takes --config and --executor, and records both", async () => {
  await using dir = await project();
  await Deno.writeTextFile(
    `${dir.path}/scaled.ts`,
    "export const scaled = ({ x, scale }: { x: number; scale: number }) => x * scale;\n",
  );
  const out = await braid(dir.path, [
    "run",
    "scaled.ts",
    "--inputs",
    '{"x":2}',
    "--config",
    '{"scale":5}',
    "--executor",
    "async",
  ]);
  assert.equal(out.code, 0, out.stderr);
  const { runId, outputs } = JSON.parse(out.stdout);
  assert.deepEqual(outputs, { scaled: 10 });
  const shown = JSON.parse(
    (await braid(dir.path, ["runs", "show", runId, "--json"])).stdout,
  );
  assert.deepEqual(shown.config, { scale: 5 });
  assert.equal(shown.nodes[0].executor, "async");
  const wrong = await braid(dir.path, [
    "run",
    "scaled.ts",
    "--executor",
    "gpu",
  ]);
  assert.equal(wrong.code, 2);
  assert.match(
    wrong.stderr,
    /^braid: option '--executor <kind>' argument 'gpu' is invalid/,
  );
});
