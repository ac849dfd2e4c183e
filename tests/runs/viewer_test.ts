import assert from "node:assert/strict";
import puppeteer from "puppeteer-core";
import { Builder, MemoryRunStore, serveViewer } from "../../mod.ts";
import { findChromium } from "../_chromium.ts";

const features = {
  load: ({ x }: { x: number }) => x + 1,
  explode: ({ load }: { load: number }): number => {
    throw new RangeError(`cannot explode ${load}`);
  },
  fine: ({ load, ctx }: { load: number; ctx: { log(m: string): void } }) => {
    ctx.log("all fine");
    return load * 2;
  },
};

async function storeWithRuns() {
  const store = new MemoryRunStore();
  const dr = await new Builder().withModules(features)
    .withRunStore({ store }).build();
  const good = await dr.run(["fine"], {
    inputs: { x: 1 },
    tags: { team: "data" },
  } as never);
  const bad = await dr.run(["explode"], { inputs: { x: 1 } });
  return { store, dr, good: good.runId, bad: bad.runId };
}

function serve(store: MemoryRunStore, pollMs = 500) {
  const server = serveViewer({ store, port: 0, onListen: () => {}, pollMs });
  return {
    server,
    url: `http://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

Deno.test("the viewer's JSON API lists runs (by status and tag) and opens one with its nodes", async () => {
  const { store, good, bad } = await storeWithRuns();
  await using viewer = serve(store);
  assert.equal(viewer.server.addr.hostname, "127.0.0.1");
  const all = await (await fetch(`${viewer.url}/api/runs`)).json();
  assert.deepEqual(all.runs.map((r: { id: string }) => r.id), [bad, good]);
  assert.equal(all.runs[0].plan, undefined); // the list leaves plans out
  const failed = await (await fetch(`${viewer.url}/api/runs?status=failed`))
    .json();
  assert.deepEqual(failed.runs.map((r: { id: string }) => r.id), [bad]);
  const tagged = await (await fetch(`${viewer.url}/api/runs?tag=team=data`))
    .json();
  assert.deepEqual(tagged.runs.map((r: { id: string }) => r.id), [good]);
  const wrong = await fetch(`${viewer.url}/api/runs?status=lost`);
  assert.equal(wrong.status, 400);
  assert.match((await wrong.json()).error, /'status' must be one of/);

  const one = await (await fetch(`${viewer.url}/api/runs/${bad}`)).json();
  assert.equal(one.run.status, "failed");
  const explode = one.nodes.find((n: { name: string }) => n.name === "explode");
  assert.equal(explode.error.message, "cannot explode 2");
  assert.match(explode.error.stack, /RangeError/);
  const missing = await fetch(`${viewer.url}/api/runs/nope`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();

  const svg = await fetch(`${viewer.url}/api/runs/${bad}/svg`);
  assert.equal(svg.headers.get("content-type"), "image/svg+xml");
  const picture = await svg.text();
  assert.match(picture, /class="node braid&#45;node status&#45;failed"/);
  assert.match(picture, /class="node braid&#45;node status&#45;succeeded"/);

  const page = await fetch(`${viewer.url}/`);
  assert.match(await page.text(), /<title>braid runs<\/title>/);
});

Deno.test("the viewer changes nothing unless re-execution is allowed", async () => {
  const { store, bad } = await storeWithRuns();
  await using viewer = serve(store);
  const post = await fetch(`${viewer.url}/api/runs/${bad}/reexecute`, {
    method: "POST",
    body: JSON.stringify({ select: ["explode"] }),
  });
  assert.equal(post.status, 403);
  await post.body?.cancel();
  const put = await fetch(`${viewer.url}/api/runs/${bad}`, { method: "PUT" });
  assert.equal(put.status, 405);
  await put.body?.cancel();
  assert.equal(store.size, 2);
});

Deno.test("the viewer's event stream tells when a run starts and ends", async () => {
  const { store, dr } = await storeWithRuns();
  await using viewer = serve(store, 10);
  const response = await fetch(`${viewer.url}/api/events`);
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  const nextRuns = async () => {
    let text = "";
    while (!text.includes("event: runs")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      text = value.includes("event: runs") ? value : text + value;
    }
    const data = text.slice(text.indexOf("data: ") + 6).split("\n")[0]!;
    return JSON.parse(data) as { id: string; status: string }[];
  };
  assert.equal((await nextRuns()).length, 2);
  const { runId } = await dr.run(["load"], { inputs: { x: 2 } });
  let runs = await nextRuns();
  while (runs[0]?.id !== runId) runs = await nextRuns();
  assert.equal(runs[0]?.status, "succeeded");
  await reader.cancel();
});

Deno.test("headless Chromium: the page lists runs, opens a failed one, marks its failed node in the SVG and shows the error", async () => {
  const { store, bad } = await storeWithRuns();
  await using viewer = serve(store);
  const browser = await puppeteer.launch({
    executablePath: await findChromium(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(viewer.url, { waitUntil: "domcontentloaded" });
    await page.waitForSelector("tr.run td.status-failed");
    const row = await page.$(`tr.run[data-run-id="${bad}"]`);
    assert.ok(row !== null, "the failed run is listed");
    assert.equal(
      await row.$eval("td.status-failed", (td) => td.textContent),
      "failed",
    );
    await row.click();
    await page.waitForSelector("#graph svg g.status-failed");
    assert.equal(
      await page.$eval(
        "#graph svg g.status-failed title",
        (title) => title.textContent,
      ),
      "explode",
    );
    const error = await page.$eval(
      'details[data-node="explode"] .error',
      (p) => p.textContent,
    );
    assert.equal(error, "RangeError: cannot explode 2");
    const lanes = await page.$$eval(
      "#timeline .lane",
      (all) => all.map((lane) => lane.getAttribute("data-lane")),
    );
    assert.deepEqual(lanes, ["sequential"]);
    await page.close();
  } finally {
    await browser.close();
  }
});

Deno.test("the viewer re-executes a run when it was given reexecute", async () => {
  const { store, bad } = await storeWithRuns();
  const asked: unknown[] = [];
  const server = serveViewer({
    store,
    port: 0,
    onListen: () => {},
    reexecute: (runId, options) => {
      asked.push([runId, options.select]);
      return Promise.resolve({
        runId: "child",
        success: true,
        outputs: {},
        nodes: [],
        durationMs: 0,
      });
    },
  });
  try {
    const response = await fetch(
      `http://127.0.0.1:${server.addr.port}/api/runs/${bad}/reexecute`,
      { method: "POST", body: JSON.stringify({ select: ["explode+"] }) },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { runId: "child", success: true });
    assert.deepEqual(asked, [[bad, ["explode+"]]]);
  } finally {
    await server.shutdown();
  }
});
