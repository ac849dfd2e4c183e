// A remote worker's replies on their way to the drivers' streams. One
// command costs far more than its bytes, so replies wait in an outbox and
// go together, one stream entry per stream: at the end of the turn, or,
// while the worker runs several tasks (whose replies may come in the next
// turns), in the next macrotask. A task's start may be sent at once.
import type { Redis } from "npm:ioredis@6.1.0";
import { encodeReplies, type RemoteReply } from "./_remote_wire.ts";

/** Replies waiting to go, by stream. */
export class Outbox {
  readonly #commands: Redis;
  readonly #busy: () => boolean;
  readonly #replies = new Map<string, RemoteReply[]>();
  // Settles once what is in the outbox now has been sent.
  #sending: PromiseWithResolvers<void> | undefined;

  /**
   * An outbox that sends on `commands`; `busy()` tells whether other tasks
   * run (then the outbox waits for the next macrotask).
   */
  constructor(commands: Redis, busy: () => boolean) {
    this.#commands = commands;
    this.#busy = busy;
  }

  /** Adds `reply` for `stream`; resolves once it is on its way. */
  add(stream: string, reply: RemoteReply): Promise<void> {
    const replies = this.#replies.get(stream);
    if (replies !== undefined) replies.push(reply);
    else this.#replies.set(stream, [reply]);
    let sending = this.#sending;
    if (sending === undefined) {
      sending = this.#sending = Promise.withResolvers();
      const send = () => {
        const done = this.#sending!;
        this.#sending = undefined;
        for (const stream of [...this.#replies.keys()]) void this.send(stream);
        done.resolve();
      };
      if (this.#busy()) setTimeout(send, 0);
      else queueMicrotask(send);
    }
    return sending.promise;
  }

  /** Sends what waits for `stream` now, as one entry; resolves once it is in. */
  async send(stream: string): Promise<void> {
    const replies = this.#replies.get(stream);
    if (replies === undefined) return;
    this.#replies.delete(stream);
    try {
      await this.#commands.xadd(stream, "*", ...encodeReplies(replies));
    } catch {
      // Lost: BullMQ's completion fails too, and the job is taken over.
    }
  }
}
