// One worker process: a `deno run` of the process entry, spoken to in
// frames over its stdin and stdout. What it writes to stderr passes through
// to this process's stderr (the end of it is kept, to say why it died).
// It reports once that it has ended, after its last replies.
import { encodeFrame, FrameDecoder } from "./_frames.ts";
import type { TaskMessage, TaskReply } from "./_task_protocol.ts";

const ENTRY = new URL("./_process_entry.ts", import.meta.url).href;

/** How long a process asked to stop (SIGTERM) has before it is killed (SIGKILL). */
export const KILL_GRACE_MS = 500;

// How much of its stderr is kept, to explain its end.
const TAIL_BYTES = 16 * 1024; // V8's report of a full heap runs long

/** How a worker process reports. */
export interface WorkerProcessEvents {
  /** A reply arrived. */
  onReply(reply: TaskReply): void;
  /**
   * It has ended, after its last reply: `how` says how ("exited with code
   * 1: <its last stderr line>").
   */
  onEnd(how: string): void;
}

/** A running worker process. */
export class WorkerProcess {
  /** Its process id. */
  readonly pid: number;
  /** Resolves once it has exited and its output has been read. */
  readonly ended: Promise<void>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #tail = new Uint8Array(0);
  #killed = false;
  #held = true;
  #corrupt: string | undefined;

  /** Starts `deno run <flags> <entry>`; throws when it cannot start. */
  constructor(flags: readonly string[], events: WorkerProcessEvents) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...flags, ENTRY],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdin.closed.catch(() => {}); // fails when the process ends first
    const output = Promise.all([
      this.#read(events),
      this.#passStderr(),
    ]);
    this.ended = Promise.all([this.#child.status, output]).then(
      async ([status]) => {
        await this.#stdin.abort().catch(() => {}); // nothing more can go
        events.onEnd(this.#corrupt ?? describe(status, this.#reason()));
      },
    );
  }

  /** Sends `message`; throws when it cannot be serialized. */
  send(message: TaskMessage): void {
    const frame = encodeFrame(message);
    // A process that has ended fails its task through onEnd.
    this.#stdin.write(frame).catch(() => {});
  }

  /** Lets this process exit while the worker process idles (or not). */
  hold(held: boolean): void {
    if (held === this.#held || this.#killed) return;
    this.#held = held;
    if (held) this.#child.ref();
    else this.#child.unref();
  }

  /**
   * Ends it: SIGTERM, then SIGKILL if it has not ended `KILL_GRACE_MS`
   * later. Returns `ended`.
   */
  kill(): Promise<void> {
    if (!this.#killed) {
      this.#killed = true;
      this.#child.ref(); // whoever closes waits for the end
      this.#signal("SIGTERM");
      const timer = setTimeout(() => this.#signal("SIGKILL"), KILL_GRACE_MS);
      void this.ended.finally(() => clearTimeout(timer));
    }
    return this.ended;
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // It has ended already.
    }
  }

  async #read(events: WorkerProcessEvents): Promise<void> {
    const decoder = new FrameDecoder();
    // Into one buffer, handed back each time: no allocation per read.
    const reader = this.#child.stdout.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(64 * 1024);
    try {
      for (;;) {
        const { value, done } = await reader.read(new Uint8Array(buffer));
        if (done) break;
        buffer = value.buffer;
        if (this.#corrupt !== undefined) continue; // drained, not read
        let replies: unknown[];
        try {
          replies = decoder.push(value);
        } catch (error) {
          this.#corrupt = `wrote to its stdout outside the task protocol (${
            (error as Error).message
          })`;
          void this.kill();
          continue;
        }
        for (const reply of replies) events.onReply(reply as TaskReply);
      }
    } catch {
      // The pipe broke: the process's end says why.
    } finally {
      reader.releaseLock();
    }
  }

  async #passStderr(): Promise<void> {
    try {
      for await (const chunk of this.#child.stderr) {
        this.#keep(chunk);
        for (let at = 0; at < chunk.byteLength;) {
          at += Deno.stderr.writeSync(chunk.subarray(at));
        }
      }
    } catch {
      // This process's stderr is gone; the process's end still comes.
    }
  }

  // Keeps the last TAIL_BYTES of what it wrote to stderr.
  #keep(chunk: Uint8Array): void {
    const tail = new Uint8Array(
      Math.min(TAIL_BYTES, this.#tail.byteLength + chunk.byteLength),
    );
    const fromChunk = Math.min(chunk.byteLength, tail.byteLength);
    const fromTail = tail.byteLength - fromChunk;
    tail.set(this.#tail.subarray(this.#tail.byteLength - fromTail));
    tail.set(chunk.subarray(chunk.byteLength - fromChunk), fromTail);
    this.#tail = tail;
  }

  // The line of its stderr that says most about its end: V8's out of
  // memory, else Deno's uncaught error, else the last.
  #reason(): string {
    const lines = new TextDecoder().decode(this.#tail).split("\n")
      .map((line) => line.replace(/^[#\s]+/, "").trimEnd())
      .filter((line) => line !== "");
    return lines.find((line) => /out of memory/i.test(line)) ??
      lines.find((line) => line.startsWith("error:")) ?? lines.at(-1) ?? "";
  }
}

function describe(status: Deno.CommandStatus, line: string): string {
  const how = status.signal !== null
    ? `was killed by ${status.signal}`
    : `exited with code ${status.code}`;
  return line === "" ? how : `${how}: ${line}`;
}
