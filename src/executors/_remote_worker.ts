// A worker of the remote executor: a BullMQ worker whose jobs carry braid
// tasks (one call, several calls of one run, or a chunk of map items), run
// in this process by the task runner that worker processes use
// (_task_runner.ts), all of a job's at once. For each call it tells the
// driver's reply stream that the call starts (which start of its job that
// is, BullMQ's `attemptsStarted`, and this worker's id), what the node
// logs, and its value or error, before the job completes (see
// _remote_wire.ts for how replies are batched). Aborts come on a pub/sub
// channel; a worker remembers the call ids for a while, so a call
// withdrawn before it started is dropped when it comes. Nodes run in this
// process: what they print goes to its stdout and stderr.
import { type Job, Worker } from "npm:bullmq@6.7.6";
import { Redis } from "npm:ioredis@6.1.0";
import { Buffer } from "node:buffer";
import { TaskRunner } from "./_task_runner.ts";
import { Outbox } from "./_remote_outbox.ts";
import type { TaskReply } from "./_task_protocol.ts";
import {
  abortChannel,
  BLOB_TTL_MS,
  blobKey,
  type CallData,
  decodeChunk,
  type JobData,
  JobDecoder,
  LARGE_BYTES,
  type RemoteReply,
  valueBytes,
} from "./_remote_wire.ts";

/** What a worker is given. */
export interface RemoteWorkerOptions {
  /** The Redis server's URL. */
  readonly redis: string;
  /** The queue to take tasks from. */
  readonly queue: string;
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal, in ms (BullMQ's lockDuration). */
  readonly lockDurationMs: number;
  /** How often it looks for stalled jobs, in ms (BullMQ's stalledInterval). */
  readonly stalledIntervalMs: number;
  /** Its id in replies and events. */
  readonly name: string;
  /** Where it reports trouble with Redis (once per kind, until it clears). */
  readonly warn?: (message: string) => void;
}

// How many bytes of large arguments a worker keeps for later tasks.
const KEPT_BYTES = 64 * 1024 * 1024;

// How many withdrawn call ids a worker remembers, and for how long.
const ABORTS_KEPT = 100_000;
const ABORT_MEMORY_MS = 10 * 60 * 1000;

interface Running {
  readonly job: Job<JobData>;
  /** The call's id. */
  readonly call: string;
  readonly reply: string;
  /** Settles once its last reply is on its way. */
  readonly answered: PromiseWithResolvers<void>;
  /** When its node was called (its module loaded). */
  calledAt: number;
  /** Its start, when not sent yet (it goes with its first log or its end). */
  start: RemoteReply | undefined;
}

/** A running worker. */
export class RemoteWorker {
  /** Its id, as replies name it. */
  readonly id: string;
  readonly #queueName: string;
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #worker: Worker<JobData>;
  readonly #runner: TaskRunner;
  readonly #running = new Map<number, Running>();
  readonly #byCall = new Map<string, number>();
  // Withdrawn call ids, with when they were withdrawn, oldest first.
  readonly #aborted = new Map<string, number>();
  #nextId = 0;
  readonly #decoder = new JobDecoder();
  readonly #kept = new Map<string, Uint8Array>();
  #keptBytes = 0;
  readonly #outbox: Outbox;
  #closing: Promise<void> | undefined;

  private constructor(options: RemoteWorkerOptions) {
    this.id = options.name;
    this.#queueName = options.queue;
    const warn = options.warn ?? (() => {});
    let warned = "";
    const trouble = (error: Error) => {
      const message = `Redis at ${options.redis}: ${error.message}`;
      if (message !== warned) warn(message);
      warned = message;
    };
    // BullMQ's workers wait for Redis as long as it takes.
    const settings = { maxRetriesPerRequest: null };
    this.#commands = new Redis(options.redis, settings);
    this.#commands.on("error", trouble);
    this.#commands.on("ready", () => warned = "");
    this.#outbox = new Outbox(this.#commands, () => this.#running.size > 1);
    this.#subscriber = this.#commands.duplicate();
    this.#subscriber.on("error", trouble);
    this.#runner = new TaskRunner((reply) => this.#answer(reply));
    this.#worker = new Worker<JobData>(
      options.queue,
      (job) => this.#process(job),
      {
        connection: this.#commands,
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.stalledIntervalMs,
        name: options.name,
        autorun: false,
      },
    );
    this.#worker.on("error", trouble);
    // A job BullMQ failed without its processor (stalled too often, say):
    // each of its calls fails (a driver ignores those it had answered).
    this.#worker.on("failed", (job, error) => {
      if (job === undefined) return;
      for (const call of job.data.c) this.#failCall(job.data.r, call.i, error);
    });
    this.#subscriber.on("message", (_channel: string, message: string) => {
      this.#abort(JSON.parse(message) as string[]);
    });
  }

  /** Starts a worker; resolves once it is subscribed and takes jobs. */
  static async start(options: RemoteWorkerOptions): Promise<RemoteWorker> {
    const worker = new RemoteWorker(options);
    await worker.#subscriber.subscribe(abortChannel(options.queue));
    void worker.#worker.run().catch((error: Error) =>
      options.warn?.(`the worker stopped: ${error.message}`)
    );
    await worker.#worker.waitUntilReady();
    return worker;
  }

  /** Whether it is running a task now. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** Whether it is connected to Redis now. */
  get connected(): boolean {
    return this.#commands.status === "ready";
  }

  /**
   * Stops taking jobs, lets the running ones finish, and closes its
   * connections. Closing twice is harmless.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await this.#worker.close();
      await this.#subscriber.quit().catch(() => this.#subscriber.disconnect());
      await this.#commands.quit().catch(() => this.#commands.disconnect());
    })();
  }

  // Runs every call of the job at once; each answers for itself.
  async #process(job: Job<JobData>): Promise<void> {
    const { r: reply, c: calls, k: chunk } = job.data;
    if (chunk !== undefined) return await this.#runChunk(job, reply, chunk);
    if (calls.length === 1) return await this.#runCall(job, reply, calls[0]!);
    await Promise.all(calls.map((call) => this.#runCall(job, reply, call)));
  }

  async #runCall(
    job: Job<JobData>,
    reply: string,
    call: CallData,
  ): Promise<void> {
    if (this.#aborted.has(call.i)) return; // withdrawn before it started
    let task;
    try {
      const bytes = call.b === undefined
        ? undefined
        : await this.#argumentsOf(call.b);
      task = this.#decoder.decode(call, bytes);
    } catch (error) {
      return this.#failCall(reply, call.i, error as Error);
    }
    const id = this.#nextId++;
    const running: Running = {
      job,
      call: call.i,
      reply,
      answered: Promise.withResolvers(),
      calledAt: NaN,
      start: {
        kind: "start",
        call: call.i,
        worker: this.id,
        attempt: job.attemptsStarted,
      },
    };
    this.#running.set(id, running);
    this.#byCall.set(call.i, id);
    try {
      // Asked for, the start is in the stream before the node runs: a node
      // that then blocks this thread cannot hide it.
      if (call.s === 1) {
        void this.#outbox.add(reply, running.start!);
        running.start = undefined;
        await this.#outbox.send(reply);
      }
      // Timed: the runner says when it calls the node.
      this.#runner.handle({ ...task, id, timed: true });
      await running.answered.promise;
    } finally {
      this.#running.delete(id);
      this.#byCall.delete(call.i);
    }
  }

  // A chunk of map items: every item through the whole plan.
  async #runChunk(
    job: Job<JobData>,
    reply: string,
    chunk: { readonly i: string; readonly p: string },
  ): Promise<void> {
    if (this.#aborted.has(chunk.i)) return;
    let task;
    try {
      task = decodeChunk(chunk);
    } catch (error) {
      return this.#failCall(reply, chunk.i, error as Error);
    }
    const id = this.#nextId++;
    const running: Running = {
      job,
      call: chunk.i,
      reply,
      answered: Promise.withResolvers(),
      calledAt: NaN,
      start: {
        kind: "start",
        call: chunk.i,
        worker: this.id,
        attempt: job.attemptsStarted,
      },
    };
    this.#running.set(id, running);
    this.#byCall.set(chunk.i, id);
    try {
      this.#runner.handle({ ...task, id, timed: true });
      await running.answered.promise;
    } finally {
      this.#running.delete(id);
      this.#byCall.delete(chunk.i);
    }
  }

  // Call `call` failed outside its node.
  #failCall(reply: string, call: string, error: Error): void {
    void this.#outbox.add(reply, {
      kind: "failed",
      call,
      worker: this.id,
      message: error.message,
    });
  }

  // Large arguments, stored apart under their content hash: kept here too
  // (as bytes: each task deserializes its own copy) while they fit.
  async #argumentsOf(key: string): Promise<Uint8Array> {
    const kept = this.#kept.get(key);
    if (kept !== undefined) {
      this.#kept.delete(key); // the most recently used goes last
      this.#kept.set(key, kept);
      return kept;
    }
    const bytes = await this.#commands.getBuffer(key);
    if (bytes === null) {
      throw new Error(
        "its arguments, stored apart in Redis (they are large), are gone: they expire an hour after their last use",
      );
    }
    this.#kept.set(key, bytes);
    this.#keptBytes += bytes.byteLength;
    for (const [old, value] of this.#kept) {
      if (this.#keptBytes <= KEPT_BYTES) break;
      this.#kept.delete(old);
      this.#keptBytes -= value.byteLength;
    }
    return bytes;
  }

  // A reply of the task runner, sent on to the task's driver. Throws (to
  // the runner) when a value cannot be serialized.
  #answer(reply: TaskReply): void {
    if (!("id" in reply)) return;
    const running = this.#running.get(reply.id);
    if (running === undefined) return;
    const call = running.call;
    switch (reply.type) {
      case "started":
        running.calledAt = performance.now();
        return;
      case "log":
        // Data it cannot send throws here, to the node's ctx.log call.
        if (reply.data !== undefined) valueBytes(reply.data);
        if (running.start !== undefined) {
          void this.#outbox.add(running.reply, running.start);
          running.start = undefined;
        }
        void this.#outbox.add(running.reply, {
          kind: "log",
          call,
          message: reply.message,
          data: reply.data,
          ...(reply.warning === true ? { warning: true } : {}),
        });
        return;
      case "ok": {
        // A value it cannot send throws here, to the runner.
        const bytes = valueBytes(reply.value);
        if (bytes.byteLength < LARGE_BYTES) {
          return this.#last(running, { kind: "ok", call, bytes });
        }
        // Stored apart first (the reply follows on the same connection).
        const key = blobKey(
          this.#queueName,
          `${call}.${running.job.attemptsStarted}`,
        );
        const buffer = Buffer.from(
          bytes.buffer,
          bytes.byteOffset,
          bytes.byteLength,
        );
        this.#commands.set(key, buffer, "PX", BLOB_TTL_MS).catch(
          () => {}, // the driver then finds it gone, and says so
        );
        return this.#last(running, { kind: "ok", call, blob: key });
      }
      case "error": {
        const sent: RemoteReply = {
          kind: "error",
          call,
          worker: this.id,
          error: reply.error,
          ...(reply.loading === true ? { loading: true } : {}),
          ...(reply.uncloneable === true ? { uncloneable: true } : {}),
          ...(reply.item === undefined ? {} : { item: reply.item }),
          ...(reply.node === undefined ? {} : { node: reply.node }),
        };
        return this.#last(running, sent);
      }
    }
  }

  // The task's last reply. Its job completes once the reply is on its way:
  // BullMQ completes it on the same connection, after the reply, so a
  // worker that dies in between leaves the job to be taken over (and a
  // driver ignores a second answer).
  #last(running: Running, reply: RemoteReply): void {
    const ms = performance.now() - running.calledAt;
    // Its start not sent yet, the last reply says it too.
    const start = running.start === undefined
      ? {}
      : { worker: this.id, attempt: running.job.attemptsStarted };
    const last = ms === ms
      ? { ...reply, ...start, ms }
      : { ...reply, ...start };
    void this.#outbox.add(running.reply, last).then(() =>
      running.answered.resolve()
    );
  }

  #abort(calls: readonly string[]): void {
    const now = Date.now();
    for (const call of calls) {
      this.#aborted.set(call, now);
      const id = this.#byCall.get(call);
      if (id !== undefined) this.#runner.handle({ type: "abort", id });
    }
    // Forget the oldest beyond the bound, and what is old enough.
    for (const [call, at] of this.#aborted) {
      if (this.#aborted.size <= ABORTS_KEPT && now - at < ABORT_MEMORY_MS) {
        break;
      }
      this.#aborted.delete(call);
    }
  }
}
