// What the remote executor's tests run against: a real `redis-server` on a
// free loopback port (no persistence), and worker processes started with
// the worker command. Each test starts its own and stops them, waiting
// for every process to end.
const WORKER = new URL("../../src/executors/remote_worker.ts", import.meta.url)
  .pathname;

const INSTALL =
  "redis-server is not installed: install it with `apt-get install redis-server` (Debian, Ubuntu; `deno task test` does this when run as root), `brew install redis` (macOS) or your system's package manager";

/** A free TCP port on the loopback interface. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Resolves once `check` returns true, checking every 20 ms until `ms` pass. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A running redis-server. */
export interface RedisServer extends AsyncDisposable {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Stops it (SIGTERM) and waits for it to end; harmless twice. */
  stop(): Promise<void>;
}

/** Starts a redis-server on `port` (a free one by default) and waits until it answers. */
export async function startRedis(port = freePort()): Promise<RedisServer> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(INSTALL);
    throw error;
  }
  let stopped: Promise<void> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // it has ended already
      }
      await child.status;
    })();
  try {
    await until(`redis-server on port ${port}`, () => answers(port), 5000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid,
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

// Whether a server on `port` answers PING.
async function answers(port: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    return n !== null &&
      new TextDecoder().decode(buffer.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

/** A running worker process. */
export interface WorkerProcess extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  /** What it wrote to stderr so far. */
  readonly stderr: () => string;
  /** Resolves once its stderr has a line matching `pattern` (within `ms`). */
  saw(pattern: RegExp, ms?: number): Promise<void>;
  /** Sends `signal`, then waits for it to end; its exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** Resolves when it has ended (and its output was read). */
  readonly ended: Promise<Deno.CommandStatus>;
}

/** Options of a test worker. */
export interface WorkerOptions {
  readonly name: string;
  readonly concurrency?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  /** How long its `held_*` nodes hold (fixtures/remote/nodes.ts). */
  readonly holdMs?: number;
}

/** Starts a worker of `queue` on `redis` and waits until it takes tasks. */
export async function startWorker(
  redis: string,
  queue: string,
  options: WorkerOptions,
): Promise<WorkerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      WORKER,
      "--redis",
      redis,
      "--queue",
      queue,
      "--name",
      options.name,
      "--concurrency",
      String(options.concurrency ?? 4),
      "--lock-duration",
      String(options.lockDurationMs ?? 1000),
      "--stalled-interval",
      String(options.stalledIntervalMs ?? 500),
    ],
    env: {
      NO_COLOR: "1",
      BRAID_TEST_HOLD_MS: String(options.holdMs ?? 0),
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const watchers = new Set<() => void>();
  const read = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      for (const watcher of watchers) watcher();
    }
  })();
  const ended = Promise.all([child.status, read]).then(([status]) => {
    for (const watcher of watchers) watcher();
    return status;
  });
  let done = false;
  void ended.then(() => done = true);
  const saw = (pattern: RegExp, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(
          new Error(
            `worker ${options.name} did not print ${pattern} within ${ms} ms; it printed:\n${text}`,
          ),
        );
      }, ms);
      const check = () => {
        if (pattern.test(text)) {
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        } else if (done) {
          clearTimeout(timer);
          watchers.delete(check);
          reject(
            new Error(
              `worker ${options.name} ended without printing ${pattern}; it printed:\n${text}`,
            ),
          );
        }
      };
      watchers.add(check);
      check();
    });
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch {
      // it has ended already
    }
    return await ended;
  };
  const worker: WorkerProcess = {
    name: options.name,
    pid: child.pid,
    stderr: () => text,
    saw,
    stop,
    ended,
    [Symbol.asyncDispose]: async () => {
      await stop();
    },
  };
  try {
    await saw(/taking tasks from queue/, 30_000);
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }
  return worker;
}

/** Whether process `pid` still exists. */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}
