// The executor conformance suite on the remote executor: each test gets a
// redis-server of its own and two worker processes, stopped after it (Deno's
// sanitizers do not see processes: stopping waits for each to end).
import { RemoteExecutor } from "../../mod.ts";
import { type Around, conformance } from "./_conformance.ts";
import { probePermissions } from "../fixtures/probe.ts";
import { startRedis, startWorker } from "./_remote_fixture.ts";

// Workers started from now on report to the tests' probe.
probePermissions();

let url = "redis://127.0.0.1:1"; // until a test starts its server
const QUEUE = "conformance";

const around: Around = async (test) => {
  await using redis = await startRedis();
  await using a = await startWorker(redis.url, QUEUE, { name: "w-a" });
  await using b = await startWorker(redis.url, QUEUE, { name: "w-b" });
  url = redis.url;
  try {
    await test();
  } finally {
    // Some tests leave nodes that ignore their signal running: end the
    // workers at once rather than wait for those.
    await Promise.all([a.stop("SIGKILL"), b.stop("SIGKILL")]);
  }
};

conformance(
  () => new RemoteExecutor({ redis: url, queue: QUEUE }),
  {},
  undefined,
  around,
);
