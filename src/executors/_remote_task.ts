// One node call sent as a remote job: what its link tells of it (the
// worker's start, logs, the end) turned into the node's hooks, its value or
// its error. Without a cache, the job goes first and the node's hooks
// start when a worker starts it (so they see the real start); with one,
// or with a tracing adapter (the job carries the node span's trace
// context), the hooks and the cache come first and the job goes once it
// missed. A
// run without hooks or cache (execute() with no adapter) calls a node
// with no more than this: its value is the call's.
import type { PlanNode } from "../plan.ts";
import type { Run } from "../run.ts";
import type { TaskNode } from "./_protocol.ts";
import type { Call } from "../_executor_call.ts";
import { wireArguments } from "../_call.ts";
import { RemoteError, WorkerError } from "../errors.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import type { RemoteLink } from "./_remote_link.ts";
import { type RemoteEnd, valueOf } from "./_remote_wire.ts";

// The nodes whose last call took under a millisecond on its worker: their
// jobs do not ask the worker to say at once that they start (see
// _remote_wire.ts).
const quick = new WeakSet<TaskNode>();
const QUICK_MS = 1;

/** Sends `call` through `link`; settles as the call does. */
export function runRemote(
  call: Call,
  link: RemoteLink,
  taskNode: TaskNode,
  server: string,
): Promise<unknown> {
  const task = new RemoteTask(call, link, taskNode, server);
  // A traced call's span starts before the job goes: the job carries it.
  const run = call.run;
  return run.cache === undefined && run.adapters?.traces !== true
    ? task.sendFirst()
    : task.invokeFirst();
}

class RemoteTask {
  readonly #call: Call;
  readonly #run: Run;
  readonly #node: PlanNode;
  readonly #link: RemoteLink;
  readonly #taskNode: TaskNode;
  readonly #callId: string;
  readonly #server: string;
  // The node's own outcome, as the hooked call awaits it (made only when
  // the run has hooks or a cache: otherwise the node's value is the call's).
  #outcome: PromiseWithResolvers<unknown> | undefined;
  // The call's, as the scheduler awaits it.
  readonly #done = Promise.withResolvers<unknown>();
  #invoked = false;
  #settled = false;

  constructor(
    call: Call,
    link: RemoteLink,
    taskNode: TaskNode,
    server: string,
  ) {
    this.#server = server;
    this.#call = call;
    this.#run = call.run;
    this.#node = call.node;
    this.#link = link;
    this.#taskNode = taskNode;
    this.#callId = link.nextCallId();
    call.onAbort = (reason) => this.#finish(false, reason);
    const run = call.run;
    if (run.hooks !== undefined || run.cache !== undefined) {
      const outcome = this.#outcome = Promise.withResolvers<unknown>();
      outcome.promise.catch(() => {}); // a hook may answer without it
    }
  }

  // Sends the job now; the node's hooks start when a worker starts it.
  sendFirst(): Promise<unknown> {
    try {
      this.#send();
    } catch (error) {
      this.#finish(false, error);
    }
    return this.#done.promise;
  }

  // Runs the node's hooks and cache now; the job goes once the cache missed.
  invokeFirst(): Promise<unknown> {
    this.#invoke(() => {
      this.#send();
      return this.#outcome!.promise;
    });
    return this.#done.promise;
  }

  // The call settles (once): the job still in flight, if any (a hook
  // answered without the node, the run stopped), is withdrawn.
  #finish(success: boolean, outcome: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#call.onAbort = undefined;
    this.#link.abort(this.#callId);
    if (success) this.#done.resolve(outcome);
    else this.#done.reject(outcome);
  }

  #invoke(compute: () => unknown): void {
    this.#invoked = true;
    try {
      const value = this.#run.invoke(this.#node, compute);
      Promise.resolve(value).then(
        (value) => this.#finish(true, value),
        (error) => this.#finish(false, error),
      );
    } catch (error) {
      this.#finish(false, error);
    }
  }

  // The node's value or error: through its hooks, or as the call's.
  #ended(success: boolean, outcome: unknown): void {
    const hooked = this.#outcome;
    if (hooked === undefined) return this.#finish(success, outcome);
    if (success) hooked.resolve(outcome);
    else hooked.reject(outcome);
    // A task that failed before a worker started it: its hooks see it.
    if (!this.#invoked) this.#invoke(() => hooked.promise);
  }

  #send(): void {
    const run = this.#run;
    const node = this.#node;
    let data;
    try {
      const traceparent = run.traceparent(node);
      data = this.#link.encode(this.#callId, {
        type: "call",
        node: this.#taskNode,
        args: wireArguments(node, run.values),
        runId: run.runId,
        item: run.item,
        ...(traceparent === undefined ? {} : { trace: { traceparent } }),
      }, !quick.has(this.#taskNode));
    } catch (error) {
      throw new WorkerError(
        `Cannot run node "${node.name}" remotely: its arguments cannot be serialized (${
          (error as Error).message
        }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or run it on another executor`,
        { cause: error, nodeName: node.name },
      );
    }
    this.#link.send(run.runId, node.name, data, {
      started: (worker, attempt) => {
        run.placeOn(node, worker);
        run.hooks?.observer?.placed?.(
          node,
          run.runId,
          run.item,
          worker,
          attempt,
        );
        const hooked = this.#outcome;
        if (hooked !== undefined && !this.#invoked) {
          this.#invoke(() => hooked.promise);
        }
      },
      logged: (message, data, warning) =>
        warning ? run.warn(node, message, data) : run.log(node, message, data),
      ended: (reply) => {
        if (reply.kind === "lost") {
          return this.#ended(
            false,
            new RemoteError(this.#server, reply.problem, {
              nodeName: node.name,
              cause: reply.cause,
            }),
          );
        }
        if (reply.kind !== "failed" && reply.ms !== undefined) {
          if (reply.ms < QUICK_MS) quick.add(this.#taskNode);
          else quick.delete(this.#taskNode);
        }
        if (reply.kind !== "ok") {
          return this.#ended(false, failure(reply, node.name));
        }
        if (reply.bytes !== undefined) {
          return this.#ended(true, valueOf(reply.bytes));
        }
        // A large value, stored apart.
        this.#link.take(reply.blob!).then(
          (bytes) =>
            bytes === undefined
              ? this.#ended(
                false,
                new WorkerError(
                  `The value of node "${node.name}" was stored in Redis apart (it is large) and is gone; run it again`,
                  { nodeName: node.name },
                ),
              )
              : this.#ended(true, valueOf(bytes)),
          (error) =>
            this.#ended(
              false,
              new RemoteError(
                this.#server,
                `cannot read the value of node "${node.name}" (${
                  (error as Error).message
                })`,
                { nodeName: node.name, cause: error },
              ),
            ),
        );
      },
    });
  }
}

// What a task's failure reply fails its node with.
function failure(
  reply: Exclude<RemoteEnd, { kind: "ok" }>,
  nodeName: string,
): Error {
  if (reply.kind === "failed") {
    return new WorkerError(
      `Node "${nodeName}" failed on worker ${reply.worker} outside its own code: ${reply.message}`,
      { nodeName },
    );
  }
  if (reply.loading === true) {
    return new WorkerError(
      `Worker ${reply.worker} cannot import the module of node "${nodeName}": ${reply.error.message} (a worker imports a node's module by its URL: a file: URL must name the same file on the worker's machine)`,
      { nodeName },
    );
  }
  if (reply.uncloneable === true) {
    return new WorkerError(
      `Node "${nodeName}" returned a value that cannot be sent back from worker ${reply.worker} (${reply.error.message}); return structured-cloneable values or run it on another executor`,
      { nodeName },
    );
  }
  return new RemoteFailure(reply.error).error;
}
