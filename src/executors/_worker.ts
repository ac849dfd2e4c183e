// The entry script of every pool worker: imports a node's module, calls its
// export, posts the value back. It also tells the pool when the code it runs
// ends the worker (self.close() or Deno.exit()), which Deno does not report
// to the parent: the pool would otherwise wait for an answer forever.
/// <reference lib="deno.worker" />
import type {
  AbortMessage,
  CallMessage,
  CallTask,
  ChunkTask,
  PreloadMessage,
  Reply,
  SentError,
  TaskMessage,
  TaskNode,
} from "./_protocol.ts";
import { WARM_REF } from "./_protocol.ts";
import { bufferOf, TRANSFER_BYTES } from "./_wire.ts";
import { isThenable } from "../_thenable.ts";
import { callWith, wireArguments } from "../_call.ts";
import { farLogging } from "./_far_log.ts";

type AnyFn = (...args: unknown[]) => unknown;

// Without buffers to transfer, no transfer list: Deno skips converting one.
const post = (reply: Reply, transfer?: Transferable[]) =>
  transfer === undefined || transfer.length === 0
    ? self.postMessage(reply)
    : self.postMessage(reply, transfer);

// Whatever ends the worker is announced first.
const close = self.close.bind(self);
self.close = () => {
  post({ type: "exit", how: "self.close() was called" });
  close();
};
const exit = Deno.exit;
Deno.exit = ((code?: number) => {
  post({ type: "exit", how: `Deno.exit(${code ?? ""}) was called` });
  return exit(code);
}) as typeof Deno.exit;

type Namespace = Record<string, unknown>;

// Node modules by URL, imported once: preloads and calls share them.
const modules = new Map<string, Promise<Namespace>>();

function importOnce(url: string): Promise<Namespace> {
  let ns = modules.get(url);
  if (ns === undefined) modules.set(url, ns = import(url));
  return ns;
}

// `node`'s function in the namespace of its module.
function exported(ns: Namespace, node: TaskNode): AnyFn {
  // `group.key`: a node inside an exported object of nodes.
  let value: unknown = ns;
  for (const part of node.exportName.split(".")) {
    value = (value as Namespace | undefined)?.[part];
  }
  const found = typeof value === "function"
    ? value
    : (value as { fn?: unknown } | undefined)?.fn;
  if (typeof found !== "function") {
    throw new Error(
      `${node.url} has no function export "${node.exportName}" in the worker`,
    );
  }
  return found as AnyFn;
}

const functions = new Map<string, Promise<AnyFn>>();

function load(node: TaskNode): Promise<AnyFn> {
  const key = `${node.exportName}\0${node.url}`;
  let fn = functions.get(key);
  if (fn === undefined) {
    fn = importOnce(node.url).then((ns) => exported(ns, node));
    functions.set(key, fn);
  }
  return fn;
}

const controllers = new Map<number, AbortController>();

function context(
  task: { id: number; runId: string; traceparent?: string },
  node: TaskNode,
  item: number | undefined,
) {
  let controller = controllers.get(task.id);
  if (controller === undefined) {
    controllers.set(task.id, controller = new AbortController());
  }
  const ctx = {
    signal: controller.signal,
    runId: task.runId,
    nodeName: node.nodeName,
    tags: node.tags,
    ...farLogging(post, task.id, node.nodeName, item),
  };
  if (task.traceparent !== undefined) {
    Object.assign(ctx, { traceparent: task.traceparent });
  }
  return item === undefined ? ctx : { ...ctx, item };
}

// The calling convention's far side (_call.ts), with this worker's ctx.
function call(
  fn: AnyFn,
  node: TaskNode,
  args: unknown[] | Record<string, unknown>,
  task: { id: number; runId: string; traceparent?: string },
  item: number | undefined,
): unknown {
  return callWith(fn, node, args, () => context(task, node, item));
}

function sendError(error: unknown): SentError {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, stack: error.stack };
  }
  return { name: "Error", message: String(error) };
}

// Large buffers go back by transfer, not copy: the values a node returns
// are its own to give. A buffer it already gave away (a cached value
// returned twice) would arrive empty, so that is an error instead.
function transferables(value: unknown): ArrayBuffer[] {
  const found: ArrayBuffer[] = [];
  const add = (v: unknown) => {
    const buffer = bufferOf(v);
    if (buffer === undefined) return;
    if ((buffer as { detached?: boolean }).detached === true) {
      throw new TypeError(
        "it returned a buffer that an earlier call already transferred (a cached value?): return a copy",
      );
    }
    if (buffer.byteLength < TRANSFER_BYTES) return;
    if (!found.includes(buffer)) found.push(buffer);
  };
  add(value);
  if (Array.isArray(value)) value.forEach(add);
  else if (value !== null && typeof value === "object") {
    if (Object.getPrototypeOf(value) === Object.prototype) {
      Object.values(value).forEach(add);
    }
  }
  return found;
}

function reply(id: number, value: unknown): void {
  try {
    post({ type: "ok", id, value }, transferables(value));
  } catch (error) {
    post({ type: "error", id, error: sendError(error), uncloneable: true });
  }
}

// The functions of nodes whose module has loaded, by descriptor: a call of
// one starts in the task that received it, and a sync node answers in that
// same task, with no await in between (what a tiny node's round trip is
// mostly made of, besides the two threads waking up).
const loaded = new WeakMap<TaskNode, AnyFn>();

// The node of warm-up calls (see WarmTask): a function of this worker's
// own, called as a node taking an argument object is. Known from the start.
const WARM_NODE: TaskNode = {
  url: import.meta.url,
  exportName: "",
  nodeName: "",
  callStyle: "object",
  ctxIndex: -1,
  tags: {},
};
loaded.set(WARM_NODE, () => 0);

// Runs one call; a promise only while something is awaited.
function runCall(task: CallTask): Promise<void> | undefined {
  const fn = loaded.get(task.node);
  return fn === undefined ? loadAndRun(task) : runLoaded(fn, task);
}

async function loadAndRun(task: CallTask): Promise<void> {
  let fn: AnyFn;
  try {
    fn = await load(task.node);
  } catch (error) {
    post({
      type: "error",
      id: task.id,
      error: sendError(error),
      loading: true,
    });
    return;
  }
  loaded.set(task.node, fn);
  if (controllers.get(task.id)?.signal.aborted) {
    // Cancelled while its module loaded: the node never starts.
    post({ type: "error", id: task.id, error: sendError("cancelled") });
    return;
  }
  await runLoaded(fn, task);
}

// A timed task's timeout counts from here, once its module has loaded (a
// first import may take long: it may import the world), so neither the
// worker's start-up nor imports count against it.
function starts(task: CallTask | ChunkTask): void {
  if (task.timed === true) post({ type: "started", id: task.id });
}

function runLoaded(fn: AnyFn, task: CallTask): Promise<void> | undefined {
  starts(task);
  let value: unknown;
  try {
    value = call(fn, task.node, task.args, task, task.item);
  } catch (error) {
    post({ type: "error", id: task.id, error: sendError(error) });
    return undefined;
  }
  if (!isThenable(value)) {
    reply(task.id, value);
    return undefined;
  }
  return Promise.resolve(value).then(
    (settled) => reply(task.id, settled),
    (error) => post({ type: "error", id: task.id, error: sendError(error) }),
  );
}

async function runChunk(task: ChunkTask): Promise<void> {
  const loads = task.nodes.map(load);
  const fns = await Promise.all(loads).catch((error) => {
    post({
      type: "error",
      id: task.id,
      error: sendError(error),
      loading: true,
    });
    return undefined;
  });
  if (fns === undefined) return;
  starts(task);
  // Outputs by column too: one array per requested value.
  const outputs: unknown[][] = Array.from(
    task.outputSlots,
    () => new Array(task.count),
  );
  const at = task.at;
  for (let i = 0; i < task.count; i++) {
    const values = task.base.slice();
    for (let k = 0; k < task.inputSlots.length; k++) {
      values[task.inputSlots[k]!] = task.columns[k]![i];
    }
    for (let n = 0; n < fns.length; n++) {
      const node = task.nodes[n]!;
      const args = wireArguments({
        callStyle: node.callStyle,
        argKeys: task.argKeys[n]!,
        argSlots: task.argSlots[n]!,
      }, values);
      if (at !== undefined) {
        Atomics.store(at, 0, i);
        Atomics.store(at, 1, n);
      }
      try {
        let value = call(fns[n]!, node, args, task, task.firstItem + i);
        if (isThenable(value)) value = await value;
        values[n] = value;
      } catch (error) {
        post({
          type: "error",
          id: task.id,
          error: sendError(error),
          item: task.firstItem + i,
          node: n,
        });
        return;
      }
      if (controllers.get(task.id)?.signal.aborted) {
        // Cancelled: answer anyway, so the pool knows this worker is free.
        post({ type: "error", id: task.id, error: sendError("cancelled") });
        return;
      }
    }
    for (let k = 0; k < outputs.length; k++) {
      outputs[k]![i] = values[task.outputSlots[k]!];
    }
  }
  reply(task.id, outputs);
}

// The node descriptors this worker was sent, by ref: later calls of the
// same node send the ref alone.
const nodes = new Map<number, TaskNode>([[WARM_REF, WARM_NODE]]);

function callTask(message: CallMessage): CallTask {
  const sent = message.node;
  if (typeof sent !== "number") {
    if (sent.forget === true) {
      nodes.clear();
      nodes.set(WARM_REF, WARM_NODE);
    }
    nodes.set(sent.ref, sent);
    return message as CallTask;
  }
  return { ...message, node: nodes.get(sent)! };
}

// Imports the modules of a preload, and finds its nodes' functions: their
// first calls then run as any later one does, at once.
function preload(message: PreloadMessage): void {
  // Known at once: a call may name them before their modules are imported.
  for (const node of message.nodes) nodes.set(node.ref, node);
  const urls = [
    ...new Set([...message.urls, ...message.nodes.map((node) => node.url)]),
  ];
  Promise.all(urls.map(importOnce)).then(
    (namespaces) => {
      const byUrl = new Map(urls.map((url, i) => [url, namespaces[i]!]));
      for (const node of message.nodes) {
        try {
          loaded.set(node, exported(byUrl.get(node.url)!, node));
        } catch {
          // Not there after all: its calls fail, with the reason (load()).
        }
      }
      post({ type: "preloaded", seq: message.seq });
    },
    (error) =>
      post({ type: "preloaded", seq: message.seq, error: sendError(error) }),
  );
}

// The task this worker runs (the pool sends one at a time), or -1.
let current = -1;

self.onmessage = (
  event: MessageEvent<TaskMessage | AbortMessage | PreloadMessage>,
) => {
  const message = event.data;
  if (message.type === "preload") {
    preload(message);
    return;
  }
  if (message.type === "abort") {
    // A task's controller is made when its node first asks for ctx, or
    // here: an abort may come before that. One for a task already done is
    // dropped.
    if (message.id !== current) return;
    let controller = controllers.get(message.id);
    if (controller === undefined) {
      controllers.set(message.id, controller = new AbortController());
    }
    controller.abort();
    return;
  }
  const id = message.id;
  current = id;
  const done = message.type === "call"
    ? runCall(callTask(message))
    : runChunk(message);
  const end = () => {
    controllers.delete(id);
    if (current === id) current = -1;
  };
  if (done === undefined) end();
  else void done.finally(end);
};

// Messages sent before this point wait: the pool may send a task at once.
post({ type: "ready" });
