import assert from "node:assert/strict";
import {
  createHandler,
  type Handler,
  type HandlerOptions,
} from "../examples/serve.ts";

interface Served {
  readonly base: string;
  readonly server: Deno.HttpServer<Deno.NetAddr>;
}

async function serve(
  options: HandlerOptions = {},
  around: (handler: Handler) => Handler = (handler) => handler,
): Promise<Served> {
  const handler = around(await createHandler(options));
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return { base: `http://127.0.0.1:${server.addr.port}`, server };
}

async function get(
  url: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

Deno.test("serve.ts answers concurrent requests each with its own inputs", async () => {
  const { base, server } = await serve();
  try {
    const cases = Array.from({ length: 20 }, (_, i) => ({
      x: i + 1,
      y: 2 * i - 7,
      scale: (i % 4) + 1,
    }));
    const start = performance.now();
    const answers = await Promise.all(
      cases.map(({ x, y, scale }) =>
        get(`${base}/?x=${x}&y=${y}&scale=${scale}`)
      ),
    );
    const elapsed = performance.now() - start;
    answers.forEach(({ status, body }, i) => {
      const { x, y, scale } = cases[i]!;
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(body, {
        sum: x + y,
        product: x * y,
        hypot: Math.hypot(x, y),
        scaled: Math.hypot(x, y) * scale,
      });
    });
    // hypot waits 20 ms per request: one at a time would take >= 400 ms.
    assert.ok(elapsed < 400, `20 requests took ${elapsed.toFixed(0)} ms`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve.ts returns only the nodes named in 'vars'", async () => {
  const { base, server } = await serve();
  try {
    const { status, body } = await get(`${base}/?x=3&y=4&vars=ratio,scaled`);
    assert.equal(status, 200);
    assert.deepEqual(body, { ratio: 0.75, scaled: 5 });
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve.ts answers bad input with 400 and a message", async () => {
  const { base, server } = await serve();
  try {
    const missing = await get(`${base}/?x=3`);
    assert.equal(missing.status, 400);
    assert.match(
      String(missing.body.error),
      /required input "y" was not provided/,
    );

    const notNumeric = await get(`${base}/?x=3&y=four`);
    assert.equal(notNumeric.status, 400);
    assert.match(String(notNumeric.body.error), /'y' must be a finite number/);

    const unknownParam = await get(`${base}/?x=3&y=4&z=5`);
    assert.equal(unknownParam.status, 400);
    assert.match(
      String(unknownParam.body.error),
      /unknown query parameter 'z'/,
    );

    const unknownVar = await get(`${base}/?x=3&y=4&vars=nope`);
    assert.equal(unknownVar.status, 400);
    assert.match(String(unknownVar.body.error), /'vars' must list/);

    const failingNode = await get(`${base}/?x=3&y=0&vars=ratio`);
    assert.equal(failingNode.status, 400);
    assert.deepEqual(failingNode.body, {
      error: "y must not be 0 to compute ratio",
      node: "ratio",
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve.ts answers other paths with 404", async () => {
  const { base, server } = await serve();
  try {
    const { status, body } = await get(`${base}/other?x=1&y=2`);
    assert.equal(status, 404);
    assert.match(String(body.error), /not found: \/other/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve.ts: a client that goes away cancels its run, and nothing is logged", async () => {
  const logged: unknown[] = [];
  const entered = Promise.withResolvers<void>();
  const answered = Promise.withResolvers<number>();
  const { base, server } = await serve(
    { logError: (error) => logged.push(error) },
    (handler) => async (req) => {
      entered.resolve();
      const response = await handler(req);
      answered.resolve(response.status);
      return response;
    },
  );
  try {
    const client = new AbortController();
    const request = fetch(`${base}/?x=3&y=4`, { signal: client.signal });
    await entered.promise; // the run has started: hypot waits on a timer
    client.abort();
    await assert.rejects(request);
    // Answered as a cancelled run (not after hypot's wait, not a 500).
    assert.equal(await answered.promise, 499);
    assert.deepEqual(logged, []);
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve.ts answers a run that outlasts the request timeout with 503 and a JSON error", async () => {
  const logged: unknown[] = [];
  const { base, server } = await serve({
    timeoutMs: 1, // hypot alone waits 20 ms
    logError: (error) => logged.push(error),
  });
  try {
    const { status, body } = await get(`${base}/?x=3&y=4`);
    assert.equal(status, 503);
    assert.deepEqual(body, { error: "the request took longer than 1 ms" });
    assert.deepEqual(logged, []);
  } finally {
    await server.shutdown();
  }
});
