// A bare BullMQ worker for the remote scenario of compare.ts: the same work
// as braid's tiny node (x + 1), with no braid in between.
//
//   deno run -A bench/_bare_worker.ts REDIS_URL QUEUE CONCURRENCY
import { Worker } from "bullmq";

const [url, queue, concurrency] = Deno.args;
const worker = new Worker<{ x: number }>(
  queue!,
  (job) => Promise.resolve(job.data.x + 1),
  {
    connection: { url: url!, maxRetriesPerRequest: null },
    concurrency: Number(concurrency),
  },
);
await worker.waitUntilReady();
console.error("taking tasks from queue");
const stop = Promise.withResolvers<void>();
Deno.addSignalListener("SIGTERM", () => stop.resolve());
await stop.promise;
await worker.close();
Deno.exit(0);
