// The far side of the task protocol, whatever carries it: imports a node's
// module, calls its export through braid's calling convention (_call.ts)
// with a ctx made of the task's facts, and answers with the value or the
// error. The process entry runs it over stdio; a worker on another machine
// can run it over a queue. It runs the worker pool's tasks (node calls,
// chunks of map items) the way a pool worker does (_worker.ts), minus what
// only threads have: transfer lists and descriptor refs.
import type {
  ChunkTask,
  NodeTask,
  SentError,
  TaskMessage,
  TaskNode,
  TaskReply,
} from "./_task_protocol.ts";
import { isThenable } from "../_thenable.ts";
import { callWith, wireArguments } from "../_call.ts";
import { farLogging } from "./_far_log.ts";

type AnyFn = (...args: unknown[]) => unknown;

/** A call whose node descriptor is at hand. */
type Called = NodeTask & { readonly node: TaskNode };

/** Sends one reply; throws when the value cannot be sent. */
export type Send = (reply: TaskReply) => void;

/** An error as it crosses back: name, message and stack. */
export function sentError(error: unknown): SentError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: "Error", message: String(error) };
}

/** Runs the tasks it is handed, one or several at a time, answering each. */
export class TaskRunner {
  readonly #send: Send;
  readonly #functions = new Map<string, Promise<AnyFn>>();
  // The same, once loaded: a call of one runs in the turn that receives
  // it, and a sync node answers in that same turn.
  readonly #loaded = new Map<string, AnyFn>();
  // The running tasks' controllers, made when a node first asks for ctx
  // (or when an abort comes first).
  readonly #controllers = new Map<number, AbortController>();
  readonly #running = new Set<number>();
  #preloads = 0;
  // The descriptors sent with a ref, by ref.
  readonly #nodes = new Map<number, TaskNode>();

  /** A runner that answers through `send`. */
  constructor(send: Send) {
    this.#send = send;
  }

  /** Whether a task or a preload is still running (it awaits something). */
  get busy(): boolean {
    return this.#running.size > 0 || this.#preloads > 0;
  }

  /** Handles one message; a task's answer goes to `send` when it is done. */
  handle(message: TaskMessage): void {
    switch (message.type) {
      case "call":
      case "chunk": {
        const id = message.id;
        this.#running.add(id);
        const done = message.type === "call"
          ? this.#runCall(message)
          : this.#runChunk(message);
        const end = () => {
          this.#running.delete(id);
          this.#controllers.delete(id);
        };
        if (done === undefined) end();
        else void done.finally(end);
        return;
      }
      case "abort":
        // One for a task already done is dropped.
        if (this.#running.has(message.id)) this.#controller(message.id).abort();
        return;
      case "preload": {
        // The module cache keeps them: a later call's import() finds them.
        // Nodes sent with it are known by their refs from now on, their
        // functions found ahead of their first call.
        for (const node of message.nodes) this.#nodes.set(node.ref, node);
        this.#preloads++;
        Promise.all([
          ...message.urls.map((url) => import(url)),
          ...message.nodes.map((node) => this.#load(node)),
        ]).finally(() => this.#preloads--).then(
          () => this.#send({ type: "preloaded", seq: message.seq }),
          (error) =>
            this.#send({
              type: "preloaded",
              seq: message.seq,
              error: sentError(error),
            }),
        );
      }
    }
  }

  #controller(id: number): AbortController {
    let controller = this.#controllers.get(id);
    if (controller === undefined) {
      this.#controllers.set(id, controller = new AbortController());
    }
    return controller;
  }

  #load(node: TaskNode): Promise<AnyFn> {
    const key = keyOf(node);
    let fn = this.#functions.get(key);
    if (fn === undefined) {
      fn = import(node.url).then((ns: Record<string, unknown>) => {
        // `group.key`: a node inside an exported object of nodes.
        let value: unknown = ns;
        for (const part of node.exportName.split(".")) {
          value = (value as Record<string, unknown> | undefined)?.[part];
        }
        const found = typeof value === "function"
          ? value
          : (value as { fn?: unknown } | undefined)?.fn;
        if (typeof found !== "function") {
          throw new Error(
            `${node.url} has no function export "${node.exportName}" here`,
          );
        }
        this.#loaded.set(key, found as AnyFn);
        return found as AnyFn;
      });
      // A module that failed to import is tried again by the next task.
      fn.catch(() => this.#functions.delete(key));
      this.#functions.set(key, fn);
    }
    return fn;
  }

  #context(
    task: { id: number; runId: string; trace?: NodeTask["trace"] },
    node: TaskNode,
    item: number | undefined,
  ) {
    const ctx = {
      signal: this.#controller(task.id).signal,
      runId: task.runId,
      nodeName: node.nodeName,
      tags: node.tags,
      ...farLogging((reply) => this.#send(reply), task.id, node.nodeName, item),
    };
    if (item !== undefined) Object.assign(ctx, { item });
    if (task.trace !== undefined) {
      Object.assign(ctx, { traceparent: task.trace.traceparent });
    }
    return ctx;
  }

  #fail(id: number, error: unknown, extra?: object): void {
    this.#send({ type: "error", id, error: sentError(error), ...extra });
  }

  // The value goes back, or, when it cannot be sent, an error saying so.
  #reply(id: number, value: unknown): void {
    try {
      this.#send({ type: "ok", id, value });
    } catch (error) {
      this.#fail(id, error, { uncloneable: true });
    }
  }

  // A timed task's timeout counts from here: its modules are loaded.
  #starts(task: NodeTask | ChunkTask): void {
    if (task.timed === true) this.#send({ type: "started", id: task.id });
  }

  // The call with its node's descriptor (a ref is looked up).
  #resolve(message: NodeTask): Called {
    const node = message.node;
    if (typeof node === "number") {
      const known = this.#nodes.get(node);
      if (known === undefined) throw new Error(`Unknown node ref ${node}`);
      return { ...message, node: known };
    }
    if ("ref" in node) {
      if (node.forget === true) this.#nodes.clear();
      this.#nodes.set(node.ref, node);
    }
    return message as Called;
  }

  // Runs one call; a promise only while something is awaited.
  #runCall(message: NodeTask): Promise<void> | undefined {
    let task: Called;
    try {
      task = this.#resolve(message);
    } catch (error) {
      this.#fail(message.id, error, { loading: true });
      return undefined;
    }
    const fn = this.#loaded.get(keyOf(task.node));
    if (fn !== undefined) return this.#callLoaded(fn, task);
    return this.#load(task.node).then((fn) => {
      if (this.#controllers.get(task.id)?.signal.aborted) {
        // Cancelled while its module loaded: the node never starts.
        return this.#fail(task.id, "cancelled");
      }
      return this.#callLoaded(fn, task);
    }, (error) => this.#fail(task.id, error, { loading: true }));
  }

  #callLoaded(fn: AnyFn, task: Called): Promise<void> | undefined {
    this.#starts(task);
    let value: unknown;
    try {
      value = callWith(
        fn,
        task.node,
        task.args,
        () => this.#context(task, task.node, task.item),
      );
    } catch (error) {
      this.#fail(task.id, error);
      return undefined;
    }
    if (!isThenable(value)) {
      this.#reply(task.id, value);
      return undefined;
    }
    return Promise.resolve(value).then(
      (settled) => this.#reply(task.id, settled),
      (error) => this.#fail(task.id, error),
    );
  }

  // Every item of the chunk through the whole plan; outputs by column.
  async #runChunk(task: ChunkTask): Promise<void> {
    let fns: AnyFn[];
    try {
      fns = await Promise.all(task.nodes.map((n) => this.#load(n)));
    } catch (error) {
      return this.#fail(task.id, error, { loading: true });
    }
    this.#starts(task);
    const outputs: unknown[][] = Array.from(
      task.outputSlots,
      () => new Array(task.count),
    );
    for (let i = 0; i < task.count; i++) {
      const values = task.base.slice();
      for (let k = 0; k < task.inputSlots.length; k++) {
        values[task.inputSlots[k]!] = task.columns[k]![i];
      }
      const item = task.firstItem + i;
      for (let n = 0; n < fns.length; n++) {
        const node = task.nodes[n]!;
        const args = wireArguments({
          callStyle: node.callStyle,
          argKeys: task.argKeys[n]!,
          argSlots: task.argSlots[n]!,
        }, values);
        try {
          let value = callWith(
            fns[n]!,
            node,
            args,
            () => this.#context(task, node, item),
          );
          if (isThenable(value)) value = await value;
          values[n] = value;
        } catch (error) {
          return this.#fail(task.id, error, { item, node: n });
        }
        if (this.#controllers.get(task.id)?.signal.aborted) {
          return this.#fail(task.id, "cancelled");
        }
      }
      for (let k = 0; k < outputs.length; k++) {
        outputs[k]![i] = values[task.outputSlots[k]!];
      }
    }
    this.#reply(task.id, outputs);
  }
}

function keyOf(node: TaskNode): string {
  return `${node.exportName}\0${node.url}`;
}
