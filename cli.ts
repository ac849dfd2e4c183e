/**
 * The `braid` command line: `deno task braid <command>` or
 * `deno run -A cli.ts <command>`.
 *
 *     braid run MODULE --outputs a,b --inputs JSON|@file --config JSON
 *     braid graph MODULE --svg FILE
 *     braid runs list | braid runs show ID
 *     braid reexecute ID --select node+
 *     braid lineage ID --format csv
 *     braid ui --port 8765
 *     braid worker --redis URL --queue NAME
 *
 * Runs are recorded into `--store` (`.braid/runs.db`) and cached into
 * `--cache` (`.braid_cache`), both relative to the working directory (or
 * `--cwd`, which `deno task braid` sets to the directory it was typed in).
 * Errors are one line on stderr and a non-zero exit.
 *
 * @module
 */
import { Command, CommanderError, Option } from "npm:commander@15.1.0";
import { Builder } from "./mod.ts";
import type {
  AsyncDriver,
  ExecutorLike,
  StoredNode,
  StoredRun,
} from "./mod.ts";

const STORE = ".braid/runs.db";
const CACHE = ".braid_cache";

/** A problem to report in one line, with the exit code. */
class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

// The directory relative paths are resolved against: `--cwd`, else the
// working directory. (`deno task` runs commands in deno.json's directory, so
// the `braid` task passes `--cwd "$INIT_CWD"`, where the user typed it.)
let base: string | undefined;
function workingDirectory(): string {
  return base ?? Deno.cwd();
}

function resolvePath(path: string): string {
  return path.startsWith("/")
    ? path
    : `${workingDirectory()}/${path}`.replace(/\/\.\//g, "/");
}

function moduleUrl(specifier: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(specifier)
    ? specifier
    : new URL(`file://${resolvePath(specifier)}`).href;
}

// A JSON object given inline or as @file.
function jsonOption(
  name: string,
  text: string | undefined,
): Record<string, unknown> {
  if (text === undefined) return {};
  let source = text;
  if (text.startsWith("@")) {
    try {
      source = Deno.readTextFileSync(resolvePath(text.slice(1)));
    } catch (error) {
      throw new CliError(
        `--${name}: cannot read ${text.slice(1)}: ${(error as Error).message}`,
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (error) {
    throw new CliError(
      `--${name} is not valid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CliError(`--${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

interface DriverOptions {
  readonly config?: string;
  readonly executor?: string;
  readonly cache?: string | false;
  readonly store: string;
}

async function openDriver(
  modules: readonly string[],
  config: Record<string, unknown>,
  options: DriverOptions,
): Promise<AsyncDriver> {
  let builder = new Builder().withModules(...modules.map(moduleUrl))
    .withConfig(config)
    .withRunStore({
      path: resolvePath(options.store),
      onWarning: (w) => console.error(`braid: warning: ${w.message}`),
    });
  if (options.cache !== false) {
    builder = builder.withCache({ path: resolvePath(options.cache ?? CACHE) });
  }
  if (options.executor !== undefined) {
    builder = builder.withExecutor(options.executor as ExecutorLike);
  }
  return await builder.build() as AsyncDriver;
}

async function openStore(path: string) {
  const { SqliteRunStore } = await import("./mod.ts");
  const file = resolvePath(path);
  try {
    Deno.statSync(file);
  } catch {
    throw new CliError(`no run store at ${file} (run something first)`);
  }
  return new SqliteRunStore(file);
}

function printJson(value: unknown): void {
  console.log(
    JSON.stringify(value, (_k, v) => typeof v === "bigint" ? `${v}n` : v, 2),
  );
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!;
}

function runLine(run: StoredRun): string {
  const duration = run.durationMs === undefined
    ? "-"
    : `${run.durationMs.toFixed(1)} ms`;
  const tags = Object.entries(run.tags).map(([k, v]) => `${k}=${v}`).join(",");
  return [
    run.id,
    run.status.padEnd(9),
    run.kind.padEnd(7),
    new Date(run.startedAt).toISOString(),
    duration.padStart(11),
    run.finalVars.join(","),
    tags,
  ].join("  ").trimEnd();
}

function nodeLine(node: StoredNode): string {
  const parts = [node.name, node.status];
  if (node.durationMs !== undefined) {
    parts.push(`${node.durationMs.toFixed(2)} ms`);
  }
  if (node.cache !== undefined) parts.push(`cache ${node.cache}`);
  if (node.attempts !== undefined && node.attempts > 1) {
    parts.push(`${node.attempts} attempts`);
  }
  if (node.executor !== undefined) parts.push(node.executor);
  if (node.worker !== undefined) parts.push(`on ${node.worker}`);
  if (node.error !== undefined) {
    parts.push(`${node.error.name}: ${firstLine(node.error.message)}`);
  }
  return `  ${parts.join("  ")}`;
}

const storeOption = () =>
  new Option("--store <path>", "the run store").default(STORE);

/** The program, its commands and their options. */
export function program(): Command {
  const braid = new Command("braid")
    .description("Run, inspect and re-execute braid dataflows")
    .option(
      "--cwd <dir>",
      "resolve relative paths against this directory (default: the working directory)",
    )
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: () => {} })
    .hook("preAction", (command) => {
      const cwd = command.opts().cwd as string | undefined;
      base = cwd === undefined || cwd === "" ? undefined : cwd;
    });

  braid.command("run")
    .description("run the nodes of MODULE and print their values as JSON")
    .argument("<module>", "a module of node functions (path or URL)")
    .option("--outputs <names>", "the nodes to compute, comma-separated")
    .option("--inputs <json>", "inputs: a JSON object, or @file")
    .option("--overrides <json>", "values replacing nodes: JSON, or @file")
    .option("--config <json>", "config: a JSON object, or @file")
    .option("--tags <json>", "run tags: a JSON object, or @file")
    .addOption(
      new Option("--executor <kind>", "how nodes run")
        .choices(["sequential", "async", "threaded", "process"]),
    )
    .option("--cache <path>", "the cache directory", CACHE)
    .option("--no-cache", "run without a cache")
    .addOption(storeOption())
    .action(async (module: string, options) => {
      const outputs = (options.outputs as string | undefined)?.split(",")
        .map((s) => s.trim()).filter((s) => s !== "");
      await using dr = await openDriver(
        [module],
        jsonOption("config", options.config),
        options,
      );
      const vars = outputs ??
        dr.listAvailableVariables().filter((v) => v.kind === "node").map((
          v,
        ) => v.name);
      const result = await dr.run(vars as never[], {
        inputs: jsonOption("inputs", options.inputs),
        overrides: jsonOption("overrides", options.overrides),
        tags: jsonOption("tags", options.tags),
      } as never);
      if (!result.success) {
        throw new CliError(
          `run ${result.runId} failed: ${firstLine(result.error)}`,
        );
      }
      printJson({ runId: result.runId, outputs: result.outputs });
    });

  braid.command("graph")
    .description("draw MODULE's graph: DOT on stdout, or an SVG file")
    .argument("<module>", "a module of node functions (path or URL)")
    .option("--svg <file>", "write the picture as SVG to this file")
    .option("--config <json>", "config: a JSON object, or @file")
    .action(async (module: string, options) => {
      await using dr = await new Builder().withModules(moduleUrl(module))
        .withConfig(jsonOption("config", options.config)).build();
      if (options.svg === undefined) {
        console.log(dr.toDot());
        return;
      }
      await Deno.writeTextFile(resolvePath(options.svg), await dr.toSvg());
    });

  const runs = braid.command("runs").description("list or show stored runs");
  runs.command("list")
    .description("list stored runs, the newest first")
    .addOption(
      new Option("--status <status>", "only runs with this status")
        .choices(["running", "succeeded", "failed", "cancelled"]),
    )
    .option("--tag <key=value...>", "only runs with these tags")
    .option("--limit <n>", "at most this many runs", "20")
    .option("--json", "print JSON")
    .addOption(storeOption())
    .action(async (options) => {
      const store = await openStore(options.store);
      try {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new CliError(
            `--limit must be a positive integer: received ${options.limit}`,
          );
        }
        const tag: Record<string, string> = {};
        for (const pair of (options.tag as string[] | undefined) ?? []) {
          const at = pair.indexOf("=");
          if (at < 1) throw new CliError(`--tag must be key=value: ${pair}`);
          tag[pair.slice(0, at)] = pair.slice(at + 1);
        }
        const found = store.list({
          ...(options.status === undefined ? {} : { status: options.status }),
          tag,
          limit,
        });
        if (options.json) printJson(found);
        else for (const run of found) console.log(runLine(run));
      } finally {
        store.close();
      }
    });
  runs.command("show")
    .description("show a stored run and its nodes")
    .argument("<id>", "the run's id")
    .option("--json", "print JSON")
    .addOption(storeOption())
    .action(async (id: string, options) => {
      const store = await openStore(options.store);
      try {
        const run = store.get(id);
        if (run === undefined) throw new CliError(`no run ${id} in the store`);
        const nodes = store.nodes(id);
        if (options.json) {
          printJson({ ...run, nodes, items: store.items(id) });
          return;
        }
        console.log(runLine(run));
        if (run.parentRunId !== undefined) {
          console.log(`  re-executes ${run.parentRunId}`);
        }
        if (run.error !== undefined) {
          console.log(`  ${run.error.name}: ${firstLine(run.error.message)}`);
        }
        for (const node of nodes) console.log(nodeLine(node));
      } finally {
        store.close();
      }
    });

  braid.command("reexecute")
    .description("run selected nodes of a stored run again")
    .argument("<id>", "the run to re-execute")
    .requiredOption(
      "--select <nodes>",
      "comma-separated: node, node+ (and downstream), +node (and upstream)",
    )
    .option("--inputs <json>", "inputs the selected nodes need: JSON, or @file")
    .option("--overrides <json>", "values replacing nodes: JSON, or @file")
    .option("--cache <path>", "the cache directory", CACHE)
    .addOption(storeOption())
    .action(async (id: string, options) => {
      const store = await openStore(options.store);
      let parent: StoredRun | undefined;
      try {
        parent = store.get(id);
      } finally {
        store.close();
      }
      if (parent === undefined) throw new CliError(`no run ${id} in the store`);
      if (parent.modules.length === 0) {
        throw new CliError(
          `run ${id} was built from no module file, so it cannot be rebuilt here`,
        );
      }
      await using dr = await openDriver(
        parent.modules,
        parent.config as Record<string, unknown>,
        options,
      );
      const result = await dr.reexecute(id, {
        select: (options.select as string).split(",").map((s) => s.trim()),
        inputs: jsonOption("inputs", options.inputs),
        overrides: jsonOption("overrides", options.overrides),
      });
      if (!result.success) {
        throw new CliError(
          `run ${result.runId} failed: ${firstLine(result.error)}`,
        );
      }
      printJson({ runId: result.runId, outputs: result.outputs });
    });

  braid.command("lineage")
    .description("export a stored run's cache lineage")
    .argument("<id>", "the run")
    .addOption(
      new Option("--format <format>", "the export format")
        .choices(["csv", "jsonl", "json"]).default("csv"),
    )
    .addOption(storeOption())
    .action(async (id: string, options) => {
      const store = await openStore(options.store);
      try {
        const run = store.get(id);
        if (run === undefined) throw new CliError(`no run ${id} in the store`);
        const { lineageOf, lineageText } = await import(
          "./src/runs/lineage.ts"
        );
        const rows = lineageOf(run, store.nodes(id));
        if (options.format === "json") printJson(rows);
        else {
          await Deno.stdout.write(
            new TextEncoder().encode(await lineageText(rows, options.format)),
          );
        }
      } finally {
        store.close();
      }
    });

  braid.command("ui")
    .description("serve the run viewer on 127.0.0.1 until interrupted")
    .option("--port <port>", "the port (0 picks a free one)", "8765")
    .option("--hostname <host>", "where to listen", "127.0.0.1")
    .option(
      "--allow-reexecute",
      "let the page re-execute runs (their modules and config as recorded)",
    )
    .option("--cache <path>", "the cache directory, for re-execution", CACHE)
    .addOption(storeOption())
    .action(async (options) => {
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new CliError(
          `--port must be a port number: received ${options.port}`,
        );
      }
      const store = await openStore(options.store);
      const { serveViewer } = await import("./mod.ts");
      const stop = new AbortController();
      const quit = () => stop.abort();
      Deno.addSignalListener("SIGINT", quit);
      Deno.addSignalListener("SIGTERM", quit);
      const server = serveViewer({
        store,
        port,
        hostname: options.hostname,
        signal: stop.signal,
        onListen: (address) =>
          console.error(
            `braid run viewer on http://${address.hostname}:${address.port}/`,
          ),
        ...(options.allowReexecute === true
          ? {
            reexecute: async (id, request) => {
              const parent = await store.get(id);
              if (parent === undefined) throw new TypeError(`no run ${id}`);
              await using dr = await openDriver(
                parent.modules,
                parent.config as Record<string, unknown>,
                options,
              );
              return await dr.reexecute(id, request);
            },
          }
          : {}),
      });
      await server.finished;
      Deno.removeSignalListener("SIGINT", quit);
      Deno.removeSignalListener("SIGTERM", quit);
      store.close();
    });

  braid.command("worker")
    .description("run the remote executor's worker (see --help)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[args...]")
    .action(async (args: string[]) => {
      const entry = new URL(
        "./src/executors/remote_worker.ts",
        import.meta.url,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", entry.href, ...args],
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      const { code } = await child.status;
      if (code !== 0) throw new CliError("", code);
    });

  return braid;
}

/** Runs the command line `args`; returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version print and end well.
      if (error.exitCode === 0) return 0;
      console.error(`braid: ${error.message.replace(/^error: /, "")}`);
      return 2;
    }
    if (error instanceof CliError) {
      if (error.message !== "") console.error(`braid: ${error.message}`);
      return error.code;
    }
    console.error(`braid: ${firstLine(error)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
