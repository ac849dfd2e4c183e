// The remote executor's connections to Redis: one for commands (BullMQ's
// queue adds jobs on it), one that blocks reading replies. Connecting is
// bounded by `connectTimeoutMs`, and a connection never reconnects or
// queues commands while it is down: a link that loses one is broken for
// good, and the next task opens a new one.
import { Queue } from "npm:bullmq@6.7.6";
import { Redis } from "npm:ioredis@6.1.0";
import { RemoteError } from "../errors.ts";
import type { RedisClientLike } from "./remote.ts";

/** How to reach Redis. */
export interface ConnectOptions {
  /** The server's URL, when given as one. */
  readonly url: string | undefined;
  /** An ioredis client given instead of a URL: its duplicates connect. */
  readonly client: RedisClientLike | undefined;
  /** The server, for messages (no password). */
  readonly label: string;
  readonly queue: string;
  readonly connectTimeoutMs: number;
  /**
   * How long a blocking read may go unanswered past its own timeout before
   * the connection counts as lost (a network that drops packets closes
   * nothing).
   */
  readonly readSlackMs: number;
}

/** The connections of a link, and the queue on the first. */
export interface Connections {
  readonly commands: Redis;
  readonly reader: Redis;
  readonly queue: Queue;
}

/**
 * Connects, within `connectTimeoutMs`; rejects with a `RemoteError` naming
 * the server when it cannot.
 */
export async function connect(options: ConnectOptions): Promise<Connections> {
  const settings = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs,
    // Fail at once while disconnected, and never reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  };
  const made: Redis[] = [];
  const open = (more: object = {}): Redis => {
    const client = options.client === undefined
      ? new Redis(options.url!, { ...settings, ...more })
      : (options.client as Redis).duplicate({ ...settings, ...more });
    client.on("error", () => {}); // reported through what fails
    made.push(client);
    return client;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`no answer within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
  });
  try {
    const commands = open();
    const reader = open({ commandTimeout: options.readSlackMs });
    await Promise.race([
      Promise.all([commands.connect(), reader.connect()]),
      timeout,
    ]);
    const queue = new Queue(options.queue, { connection: commands });
    queue.on("error", () => {}); // reported through what fails
    await Promise.race([queue.waitUntilReady(), timeout]);
    return { commands, reader, queue };
  } catch (error) {
    await Promise.all(made.map((client) => shut(client)));
    const message = (error as Error)?.message || String(error);
    throw new RemoteError(
      options.label,
      `cannot connect (${message}); check that the server runs and is reachable from here, or raise 'connectTimeoutMs'`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes `client` (politely when it is connected) and resolves once it has
 * ended: its socket is closed, and ioredis's timer for a socket that does
 * not close is cleared.
 */
export async function shut(client: Redis): Promise<void> {
  if (client.status === "end") return;
  const ended = new Promise<void>((resolve) => client.once("end", resolve));
  if (client.status === "ready") {
    await client.quit().catch(() => client.disconnect());
  } else client.disconnect();
  await ended;
}
