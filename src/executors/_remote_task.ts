// One node call sent as a remote job: what its link tells of it (the
// worker's start, logs, the end) turned into the node's hooks, its value or
// its error. Without a cache, the job goes first and the node's hooks
// start when a worker starts it (so they see the real start); with one,
// the hooks and the cache come first and the job goes once it missed.
import type { PlanNode } from "../plan.ts";
import type { Run } from "../run.ts";
import type { TaskNode } from "./_protocol.ts";
import type { Call } from "../_executor_call.ts";
import { wireArguments } from "../_call.ts";
import { RemoteError, WorkerError } from "../errors.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import type { RemoteLink } from "./_remote_link.ts";
import type { RemoteEnd } from "./_remote_wire.ts";

/** Sends `call` through `link`; settles as the call does. */
export function runRemote(
  call: Call,
  link: RemoteLink,
  taskNode: TaskNode,
  server: string,
): Promise<unknown> {
  const task = new RemoteTask(call, link, taskNode, server);
  return call.run.cache === undefined ? task.sendFirst() : task.invokeFirst();
}

class RemoteTask {
  readonly #call: Call;
  readonly #run: Run;
  readonly #node: PlanNode;
  readonly #link: RemoteLink;
  readonly #taskNode: TaskNode;
  readonly #jobId: string;
  readonly #server: string;
  // The node's own outcome, as the hooked call awaits it.
  readonly #outcome = Promise.withResolvers<unknown>();
  // The call's, as the scheduler awaits it.
  readonly #done = Promise.withResolvers<unknown>();
  #invoked = false;

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
    this.#jobId = link.nextJobId();
    this.#outcome.promise.catch(() => {}); // a hook may answer without it
  }

  // Sends the job now; the node's hooks start when a worker starts it.
  sendFirst(): Promise<unknown> {
    this.#send();
    return this.#settled();
  }

  // Runs the node's hooks and cache now; the job goes once the cache missed.
  invokeFirst(): Promise<unknown> {
    this.#invoke(() => {
      this.#send();
      return this.#outcome.promise;
    });
    return this.#settled();
  }

  #settled(): Promise<unknown> {
    const call = this.#call;
    call.onAbort = (reason) => {
      this.#link.abort(this.#jobId);
      this.#done.reject(reason);
    };
    return this.#done.promise.finally(() => {
      call.onAbort = undefined;
      // A hook answered without the node, or the call failed: the job
      // still in flight is withdrawn.
      this.#link.abort(this.#jobId);
    });
  }

  #invoke(compute: () => unknown): void {
    this.#invoked = true;
    try {
      const value = this.#run.invoke(this.#node, compute);
      Promise.resolve(value).then(this.#done.resolve, this.#done.reject);
    } catch (error) {
      this.#done.reject(error);
    }
  }

  #send(): void {
    const run = this.#run;
    const node = this.#node;
    let data;
    try {
      data = this.#link.encode({
        type: "call",
        node: this.#taskNode,
        args: wireArguments(node, run.values),
        runId: run.runId,
        item: run.item,
      });
    } catch (error) {
      throw new WorkerError(
        `Cannot run node "${node.name}" remotely: its arguments cannot be serialized (${
          (error as Error).message
        }); pass structured-cloneable values (plain data, typed arrays, Map, Set, Date...) or run it on another executor`,
        { cause: error, nodeName: node.name },
      );
    }
    this.#link.send(this.#jobId, node.name, data, {
      started: (worker, attempt) => {
        run.hooks?.observer?.placed?.(
          node,
          run.runId,
          run.item,
          worker,
          attempt,
        );
        if (!this.#invoked) this.#invoke(() => this.#outcome.promise);
      },
      logged: (message, data) => run.log(node, message, data),
      ended: (reply) => {
        const outcome = this.#outcome;
        if (reply.kind === "lost") {
          outcome.reject(
            new RemoteError(this.#server, reply.problem, {
              nodeName: node.name,
              cause: reply.cause,
            }),
          );
        } else if (reply.kind === "ok") outcome.resolve(reply.value);
        else outcome.reject(failure(reply, node.name));
        // A task that failed before a worker started it: its hooks see it.
        if (!this.#invoked) this.#invoke(() => outcome.promise);
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
