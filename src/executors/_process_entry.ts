// The entry script of every worker process: reads tasks as frames from
// stdin, runs them (_task_runner.ts), writes the replies as frames to
// stdout. Stdout belongs to the protocol, so what nodes print goes to
// stderr instead; the process ends when stdin does (its parent closed it,
// or ended).
import { encodeFrame, FrameDecoder } from "./_frames.ts";
import type { TaskMessage } from "./_task_protocol.ts";
import { TaskRunner } from "./_task_runner.ts";

const stdout = Deno.stdout;
const stderr = Deno.stderr;
Object.defineProperty(Deno, "stdout", { value: stderr });
for (const name of ["log", "info", "debug"] as const) {
  console[name] = console.error;
}
console.dir = console.dirxml = (
  value: unknown,
  options?: Deno.InspectOptions,
) => console.error(Deno.inspect(value, options));

// One frame at a time, whole: a sync write keeps frames from interleaving.
function write(bytes: Uint8Array): void {
  for (let at = 0; at < bytes.byteLength;) {
    at += stdout.writeSync(bytes.subarray(at));
  }
}

// A node that ends the process says so first, so its parent can tell why.
const exit = Deno.exit;
Deno.exit = ((code?: number) => {
  write(
    encodeFrame({ type: "exit", how: `Deno.exit(${code ?? ""}) was called` }),
  );
  return exit(code);
}) as typeof Deno.exit;

const runner = new TaskRunner((reply) => write(encodeFrame(reply)));
const decoder = new FrameDecoder();
write(encodeFrame({ type: "ready" }));
// While nothing runs, the next task is awaited in a blocking read: Deno
// reads stdin asynchronously on a thread of its blocking pool, and that
// hand-off costs a round trip more than all else. While a task awaits
// something, reads are asynchronous, so that the task's own work (and an
// abort for it) goes on; the read then pending takes the next task too.
const buffer = new Uint8Array(64 * 1024);
for (;;) {
  await null; // what the last task left to run in microtasks runs first
  const n = runner.busy
    ? await Deno.stdin.read(buffer)
    : Deno.stdin.readSync(buffer);
  if (n === null) break;
  for (const message of decoder.push(buffer.subarray(0, n))) {
    runner.handle(message as TaskMessage);
  }
}
exit(0);
