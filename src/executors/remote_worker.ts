/**
 * The remote executor's worker, as a command: `deno task worker --redis URL
 * --queue NAME` takes braid's tasks from a BullMQ queue and runs them in
 * this process until it gets SIGINT or SIGTERM, then lets its running tasks
 * finish. Run as many as you like, on any machine that reaches Redis.
 *
 * @module
 */
import { parseArgs } from "node:util";

const USAGE = `Usage: deno task worker --redis URL --queue NAME [options]

Takes braid's tasks from a BullMQ queue in Redis and runs them in this
process, until SIGINT or SIGTERM (then running tasks finish first).

Options:
  --redis URL              the Redis server (redis://host:6379, rediss:// for TLS)
  --queue NAME             the queue a RemoteExecutor sends tasks to
  --concurrency N          how many tasks run at once (default 16)
  --lock-duration MS       how long a task's lock lasts unless renewed; a task
                           whose worker died is taken over once it lapses
                           (default 30000)
  --stalled-interval MS    how often this worker looks for tasks whose worker
                           died (default 30000)
  --name ID                this worker's id in events and results
                           (default HOST:PID)
  --help                   show this help
`;

/** What the command line asks for. */
export interface WorkerArgs {
  readonly redis: string;
  readonly queue: string;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly name: string | undefined;
}

/** The worker's settings from `args`, or the usage (or a problem) to print. */
export function parseWorkerArgs(
  args: readonly string[],
): WorkerArgs | { readonly help: string; readonly error?: string } {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        redis: { type: "string" },
        queue: { type: "string" },
        concurrency: { type: "string" },
        "lock-duration": { type: "string" },
        "stalled-interval": { type: "string" },
        name: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { help: USAGE, error: (error as Error).message };
  }
  if (values.help) return { help: USAGE };
  if (values.redis === undefined || values.queue === undefined) {
    return { help: USAGE, error: "--redis and --queue are required" };
  }
  const count = (flag: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `--${flag} must be a positive integer: received ${text}`,
      );
    }
    return value;
  };
  try {
    return {
      redis: values.redis,
      queue: values.queue,
      concurrency: count("concurrency", values.concurrency, 16),
      lockDurationMs: count("lock-duration", values["lock-duration"], 30_000),
      stalledIntervalMs: count(
        "stalled-interval",
        values["stalled-interval"],
        30_000,
      ),
      name: values.name,
    };
  } catch (error) {
    return { help: USAGE, error: (error as Error).message };
  }
}

async function main(): Promise<number> {
  const parsed = parseWorkerArgs(Deno.args);
  if ("help" in parsed) {
    if (parsed.error === undefined) {
      console.log(parsed.help);
      return 0;
    }
    console.error(`${parsed.error}\n\n${parsed.help}`);
    return 2;
  }
  const name = parsed.name ?? `${hostname()}:${Deno.pid}`;
  const warn = (message: string) =>
    console.error(`braid worker ${name}: ${message}`);
  // Loaded once the flags are read: --help needs no permission.
  const { RemoteWorker } = await import("./_remote_worker.ts");
  const worker = await RemoteWorker.start({
    ...parsed,
    name,
    warn,
  });
  console.error(
    `braid worker ${name}: taking tasks from queue "${parsed.queue}" (concurrency ${parsed.concurrency})`,
  );
  // The first signal lets running tasks finish; a second one, or a signal
  // while Redis is unreachable (nothing could be finished), stops at once.
  let signals = 0;
  const first = Promise.withResolvers<void>();
  const second = Promise.withResolvers<void>();
  const stop = () => (++signals === 1 ? first : second).resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await first.promise;
  if (!worker.connected) {
    console.error(`braid worker ${name}: stopping now (Redis is unreachable)`);
    return 1;
  }
  console.error(`braid worker ${name}: stopping once its running tasks end`);
  const forced = await Promise.race([
    worker.close().then(() => false),
    second.promise.then(() => true),
  ]);
  if (forced) {
    console.error(`braid worker ${name}: stopping now`);
    return 1;
  }
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "worker"; // no --allow-sys
  }
}

if (import.meta.main) Deno.exit(await main());
