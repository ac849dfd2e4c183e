// The remote executor's link to Redis (_remote_connect.ts): a connection
// for commands (BullMQ's queue adds jobs on it, aborts are published on
// it), one that blocks reading the link's own reply stream, and the calls
// in flight by id. Calls sent in one turn go in jobs of up to `chunkSize`
// calls of one run, and the jobs in one addBulk; aborts sent in one turn,
// in one message. A link that cannot connect within its timeout, or loses
// a connection (or a read goes unanswered), is broken for good: its calls
// fail with a `RemoteError`, and the executor opens a new link for the next
// one (so a driver works again once Redis is back). Loaded when a remote
// executor first connects: bullmq and ioredis are not part of mod.ts's
// static module graph.
import type { Queue } from "npm:bullmq@6.7.6";
import type { Redis } from "npm:ioredis@6.1.0";
import { Buffer } from "node:buffer";
import { connect, shut } from "./_remote_connect.ts";
import { runChunk } from "./_remote_chunk.ts";
import type { Call } from "../_executor_call.ts";
import type { ChunkTask, TaskNode } from "./_protocol.ts";
import type { RedisClientLike } from "./remote.ts";
import { runRemote } from "./_remote_task.ts";
import {
  abortChannel,
  BLOB_TTL_MS,
  type CallData,
  decodeReplies,
  encodeCall,
  encodeChunk,
  type EncodedCall,
  type JobData,
  type RemoteEnd,
  type RemoteReply,
  type RemoteTask,
  replyKey,
} from "./_remote_wire.ts";

/** How a link reaches Redis. */
export interface LinkOptions {
  /** The server's URL, when given as one. */
  readonly url: string | undefined;
  /**
   * An ioredis client given instead of a URL: the link connects duplicates
   * of it.
   */
  readonly client: RedisClientLike | undefined;
  /** The server, for messages (no password). */
  readonly label: string;
  readonly queue: string;
  readonly connectTimeoutMs: number;
  /** Numbers the link's calls and jobs: `${id}.${n}`, `${id}.j${n}`. */
  readonly id: string;
  /** The most calls of one run sent in one job. */
  readonly chunkSize: number;
}

/** What a link tells the sender of a task. */
export interface Listener {
  /** The task starts on `worker`: its `attempt`-th start. */
  started(worker: string, attempt: number): void;
  /** Its node called ctx.log. */
  logged(message: string, data: unknown, warning: boolean): void;
  /** It ended: its last reply, or the link broke (`problem` says how). */
  ended(reply: RemoteEnd | LinkFailure): void;
}

/** A link that broke, as its tasks hear of it. */
export interface LinkFailure {
  readonly kind: "lost";
  /** What went wrong, for a `RemoteError`'s message. */
  readonly problem: string;
  readonly cause?: unknown;
}

// Reply stream entries read per XREAD, and how long one blocks.
const READ_COUNT = 4096;
const READ_BLOCK_MS = 1000;
// A reply stream left behind (its driver died) expires this long after it
// was last read.
const REPLIES_TTL_MS = 24 * 60 * 60 * 1000;

/** A live link to Redis, or a broken one. */
export class RemoteLink {
  /** The stream the link's workers reply to. */
  readonly replies: string;
  readonly #options: LinkOptions;
  readonly #commands: Redis;
  readonly #reader: Redis;
  readonly #queue: Queue;
  // The calls in flight, by id; the job of each, and each job's calls
  // still in flight (a job whose calls were all withdrawn is removed).
  readonly #listeners = new Map<string, Listener>();
  readonly #jobOf = new Map<string, string>();
  readonly #jobCalls = new Map<string, Set<string>>();
  #nextCall = 0;
  #nextJob = 0;
  // The calls to send at the end of this turn, by run id, with their names.
  #outbox = new Map<string, { name: string; data: CallData }[]>();
  // The calls it stored apart, by key, with when (they are stored again
  // once half their life is gone).
  readonly #stored = new Map<string, number>();
  #aborts: string[] = [];
  // Jobs all of whose calls were withdrawn: removed if they still wait.
  #emptied: string[] = [];
  #broken: LinkFailure | undefined;
  #closing: Promise<void> | undefined;
  #reading: Promise<void> = Promise.resolve();

  private constructor(
    options: LinkOptions,
    commands: Redis,
    reader: Redis,
    queue: Queue,
  ) {
    this.#options = options;
    this.#commands = commands;
    this.#reader = reader;
    this.#queue = queue;
    this.replies = replyKey(options.queue, options.id);
  }

  /**
   * Connects, within `connectTimeoutMs`; rejects with a `RemoteError`
   * naming the server when it cannot.
   */
  static async open(options: LinkOptions): Promise<RemoteLink> {
    const { commands, reader, queue } = await connect({
      ...options,
      readSlackMs: READ_BLOCK_MS + options.connectTimeoutMs,
    });
    const link = new RemoteLink(options, commands, reader, queue);
    link.#start();
    return link;
  }

  /** The server, for messages. */
  get server(): string {
    return this.#options.label;
  }

  /** Sends `call` as a job; settles as the call does. */
  run(call: Call, taskNode: TaskNode): Promise<unknown> {
    return runRemote(call, this, taskNode, this.#options.label);
  }

  /**
   * Sends a chunk of map items (a `ChunkTask` without its number) as a job:
   * its outputs by column, or a `RemoteFailure` naming the item and node.
   */
  runChunk(
    name: string,
    chunk: Omit<ChunkTask, "id" | "timed">,
  ): { promise: Promise<unknown[][]>; cancel(): void } {
    return runChunk(this, name, chunk);
  }

  /**
   * `task` as call `id` of a job (with `announce`, its worker says at once
   * that it starts), and its large arguments to store; throws when its
   * arguments cannot be serialized.
   */
  encode(id: string, task: RemoteTask, announce: boolean): EncodedCall {
    return encodeCall(this.#options.queue, id, task, announce);
  }

  /**
   * Takes a value a worker stored apart (and deletes it): its bytes, or
   * undefined when it is gone.
   */
  async take(key: string): Promise<Uint8Array | undefined> {
    const bytes = await this.#commands.getBuffer(key);
    this.#commands.del(key).catch(() => {});
    return bytes ?? undefined;
  }

  /** Whether it takes tasks. */
  get usable(): boolean {
    return this.#broken === undefined && this.#closing === undefined;
  }

  /** A new call id. */
  nextCallId(): string {
    return `${this.#options.id}.${this.#nextCall++}`;
  }

  /**
   * Sends a call of run `runId` (node `name`) at the end of this turn, in a
   * job with up to `chunkSize` calls of the run sent in the same turn;
   * `listener` hears about it.
   */
  send(
    runId: string,
    name: string,
    call: EncodedCall,
    listener: Listener,
  ): void {
    if (this.#broken !== undefined) return listener.ended(this.#broken);
    const { data, blob } = call;
    if (blob !== undefined) this.#store(blob.key, blob.bytes);
    this.#listeners.set(data.i, listener);
    if (this.#outbox.size === 0) queueMicrotask(() => this.#flush());
    const calls = this.#outbox.get(runId);
    if (calls === undefined) this.#outbox.set(runId, [{ name, data }]);
    else calls.push({ name, data });
  }

  /**
   * Sends a chunk of map items as a job of its own, at once; `listener`
   * hears about it. Returns its id (for `abort`).
   */
  sendChunk(
    name: string,
    chunk: Omit<ChunkTask, "id" | "timed">,
    listener: Listener,
  ): string {
    const id = this.nextCallId();
    if (this.#broken !== undefined) {
      listener.ended(this.#broken);
      return id;
    }
    const k = encodeChunk(id, chunk);
    const jobId = `${this.#options.id}.j${this.#nextJob++}`;
    this.#listeners.set(id, listener);
    this.#jobOf.set(id, jobId);
    this.#jobCalls.set(jobId, new Set([id]));
    this.#add([{
      name,
      data: { r: this.replies, c: [], k },
      opts: { jobId, removeOnComplete: true, removeOnFail: true },
    }]);
    return id;
  }

  /**
   * Withdraws call `id`: its node's `ctx.signal` aborts if it runs, and its
   * job is removed if it waits with no other call in flight. Its listener
   * hears nothing more.
   */
  abort(id: string): void {
    if (!this.#listeners.delete(id)) return;
    const job = this.#settle(id);
    if (this.#broken !== undefined) return;
    if (this.#aborts.length === 0) queueMicrotask(() => this.#flushAborts());
    this.#aborts.push(id);
    if (job !== undefined) this.#emptied.push(job);
  }

  // Call `id` is done with: the job it was in, if no other of its calls is
  // in flight any more.
  #settle(id: string): string | undefined {
    const job = this.#jobOf.get(id);
    if (job === undefined) return undefined;
    this.#jobOf.delete(id);
    const calls = this.#jobCalls.get(job)!;
    calls.delete(id);
    if (calls.size > 0) return undefined;
    this.#jobCalls.delete(job);
    return job;
  }

  /**
   * Closes the connections (the tasks in flight fail: `problem` says why)
   * and deletes the reply stream. Closing twice is harmless.
   */
  close(problem: string): Promise<void> {
    return this.#closing ??= this.#close(problem);
  }

  async #close(problem: string): Promise<void> {
    this.#fail({ kind: "lost", problem });
    await this.#queue.close().catch(() => {});
    await this.#commands.del(this.replies, ...this.#stored.keys()).catch(
      () => {},
    );
    await shut(this.#reader);
    await this.#reading;
    await shut(this.#commands);
  }

  #start(): void {
    const lost = () => this.#lost();
    this.#commands.on("close", lost);
    this.#reader.on("close", lost);
    this.#reading = this.#read();
  }

  // A connection closed, or a read went unanswered: every task in flight
  // fails, and the next one connects again.
  #lost(): void {
    if (this.#closing !== undefined) return;
    const problem =
      "the connection was lost while the node ran remotely (a later run connects again)";
    this.#fail({ kind: "lost", problem });
    void this.close(problem);
  }

  // Every task in flight fails; the link takes no more.
  #fail(failure: LinkFailure): void {
    this.#broken ??= failure;
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    this.#jobOf.clear();
    this.#jobCalls.clear();
    this.#outbox = new Map();
    this.#aborts = [];
    this.#emptied = [];
    for (const listener of listeners) listener.ended(this.#broken);
  }

  // Stores a large call under `key`, before the job that names it goes:
  // both go on the same connection, in order.
  #store(key: string, bytes: Uint8Array): void {
    const now = Date.now();
    const at = this.#stored.get(key);
    if (at !== undefined && now - at < BLOB_TTL_MS / 2) return;
    this.#stored.set(key, now);
    const buffer = Buffer.from(
      bytes.buffer,
      bytes.byteOffset,
      bytes.byteLength,
    );
    this.#commands.set(key, buffer, "PX", BLOB_TTL_MS).catch(
      () => {}, // the job then fails on the worker, saying so
    );
  }

  #flush(): void {
    const outbox = this.#outbox;
    this.#outbox = new Map();
    if (outbox.size === 0 || this.#broken !== undefined) return;
    const size = this.#options.chunkSize;
    const jobs: { name: string; data: JobData; opts: object }[] = [];
    for (const queued of outbox.values()) {
      // Calls withdrawn in the turn they were sent go nowhere.
      const calls = queued.filter(({ data }) => this.#listeners.has(data.i));
      for (let at = 0; at < calls.length; at += size) {
        const chunk = calls.slice(at, at + size);
        const jobId = `${this.#options.id}.j${this.#nextJob++}`;
        const ids = new Set<string>();
        for (const { data } of chunk) {
          ids.add(data.i);
          this.#jobOf.set(data.i, jobId);
        }
        this.#jobCalls.set(jobId, ids);
        jobs.push({
          name: chunk[0]!.name,
          data: { r: this.replies, c: chunk.map((call) => call.data) },
          opts: { jobId, removeOnComplete: true, removeOnFail: true },
        });
      }
    }
    this.#add(jobs);
  }

  #add(jobs: { name: string; data: JobData; opts: object }[]): void {
    if (jobs.length === 0) return;
    const added = jobs.length === 1
      ? this.#queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts)
      : this.#queue.addBulk(jobs);
    added.catch((error: Error) => {
      // Without a connection, so is every other task: the link is broken.
      if (this.#closing !== undefined || this.#broken !== undefined) return;
      const problem =
        `cannot add jobs to queue "${this.#options.queue}" (${error.message})`;
      this.#fail({ kind: "lost", problem, cause: error });
      void this.close(problem);
    });
  }

  #flushAborts(): void {
    const ids = this.#aborts;
    const emptied = this.#emptied;
    this.#aborts = [];
    this.#emptied = [];
    if (ids.length === 0 || this.#broken !== undefined) return;
    // Workers remember the ids, so one that takes such a call later drops
    // it.
    this.#commands.publish(
      abortChannel(this.#options.queue),
      JSON.stringify(ids),
    ).catch(() => {});
    for (const job of emptied) this.#queue.remove(job).catch(() => {});
  }

  async #read(): Promise<void> {
    let last = "0-0";
    while (this.usable) {
      let entries: [string, [string, string[]][]][] | null;
      try {
        entries = await this.#reader.xread(
          "COUNT",
          READ_COUNT,
          "BLOCK",
          READ_BLOCK_MS,
          "STREAMS",
          this.replies,
          last,
        );
      } catch {
        // Closed, lost, or unanswered (a network that drops packets
        // closes nothing): the tasks in flight fail.
        return this.#lost();
      }
      if (entries === null) continue;
      for (const [, stream] of entries) {
        for (const [id, fields] of stream) {
          last = id;
          for (const reply of decodeReplies(fields)) this.#dispatch(reply);
        }
      }
      // What was read goes: every entry up to the last one read.
      this.#commands.multi()
        .xtrim(this.replies, "MINID", following(last))
        .pexpire(this.replies, REPLIES_TTL_MS)
        .exec()
        .catch(() => {});
    }
  }

  #dispatch(reply: RemoteReply): void {
    const listener = this.#listeners.get(reply.call);
    if (listener === undefined) return; // aborted, or a duplicate
    switch (reply.kind) {
      case "start":
        return listener.started(reply.worker, reply.attempt);
      case "log":
        return listener.logged(
          reply.message,
          reply.data,
          reply.warning === true,
        );
      default:
        this.#listeners.delete(reply.call);
        this.#settle(reply.call);
        // An end that is its start too (see _remote_wire.ts).
        if (reply.kind !== "failed" && reply.attempt !== undefined) {
          listener.started(reply.worker!, reply.attempt);
        }
        listener.ended(reply);
    }
  }
}

// The stream id right after `id` ("ms-seq").
function following(id: string): string {
  const dash = id.indexOf("-");
  return `${id.slice(0, dash)}-${BigInt(id.slice(dash + 1)) + 1n}`;
}
