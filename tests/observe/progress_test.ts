import assert from "node:assert/strict";
import {
  Builder,
  collect,
  Engine,
  MemoryCacheStore,
  named,
  node,
  parallelizable,
  Pipeline,
  ProgressBar,
  retry,
} from "../../mod.ts";
import { FakeTerminal } from "./_fake_terminal.ts";

const ESC = "\x1b";

const chain = {
  a: ({ x }: { x: number }) => x + 1,
  b: ({ a }: { a: number }) => a * 2,
  c: ({ b }: { b: number }) => b - 1,
  unused: ({ c }: { c: number }) => c,
};

// A block of `n` steps per item: steps -> square -> total.
const block = {
  steps: node(
    ({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i),
    parallelizable(),
  ),
  square: ({ steps }: { steps: number }) => steps ** 2,
  total: node(
    ({ square }: { square: number[] }) => square.reduce((s, v) => s + v, 0),
    collect("square"),
  ),
};

Deno.test("ProgressBar draws a run's nodes done of its total and leaves the finished run on screen", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules(chain)
    .withAdapters(new ProgressBar({ stream: term })).build();
  await dr.execute(["c"], { inputs: { x: 1 } });
  const [line, ...rest] = term.screen();
  assert.deepEqual(rest, []);
  assert.match(line!, /^✔ run c {2}\[█{20}\] 3\/3 nodes · \d+\.\ds$/);
  // A given value is not run: the total leaves it out.
  await dr.execute(["c"], { inputs: { x: 1 }, overrides: { a: 5 } });
  assert.match(term.screen()[1]!, /^✔ run c {2}\[█{20}\] 2\/2 nodes/);
});

Deno.test("ProgressBar counts cache hits apart, and failures, marking a failed run", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules({
    ...chain,
    bad: ({ a }: { a: number }): number => {
      throw new Error(`bad ${a}`);
    },
  }).withCache({ store: new MemoryCacheStore() })
    .withAdapters(new ProgressBar({ stream: term })).build();
  await dr.execute(["c"], { inputs: { x: 1 } });
  await dr.execute(["c"], { inputs: { x: 1 } });
  await assert.rejects(dr.execute(["bad"], { inputs: { x: 1 } }), /bad 2/);
  const screen = term.screen();
  assert.equal(screen.length, 3);
  assert.match(screen[0]!, /^✔ run c .* 3\/3 nodes · \d/);
  assert.match(screen[1]!, /^✔ run c .* 3\/3 nodes · 3 cache hits · /);
  assert.match(
    screen[2]!,
    /^✖ run bad .* 2\/2 nodes · 1 cache hit · 1 failed · /,
  );
});

Deno.test("ProgressBar shows a run's last ctx.log message on a log line, and the hook error that failed a run", async () => {
  const term = new FakeTerminal();
  const strict = {
    name: "Strict",
    beforeNodeExecution(event: { nodeName: string }) {
      if (event.nodeName === "picky") throw new Error("not today");
    },
  };
  const dr = await new Builder().withModules({
    talk: ({ ctx }: { ctx: { log(m: string): void } }) => {
      ctx.log("loading");
      ctx.log("read 3 rows\nof 4");
      return 1;
    },
    picky: () => 2,
  }).withAdapters(new ProgressBar({ stream: term }), strict).build();
  await dr.execute(["talk"]);
  assert.deepEqual(term.screen().slice(1), ["  log  talk: read 3 rows of 4"]);
  await assert.rejects(dr.execute(["picky"]), /not today/);
  const screen = term.screen();
  assert.match(screen[2]!, /^✖ run picky /);
  assert.match(
    screen[3]!,
    /^ {2}log {2}hook error: Hook "beforeNodeExecution" of adapter Strict threw for node "picky": not today$/,
  );
});

Deno.test("ProgressBar shows a map's items done of total with their rate; its items start no run bars", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules(chain)
    .withAdapters(new ProgressBar({ stream: term })).build();
  const out = await dr.map(["c"], {
    inputs: { x: [1, 2, 3, 4, 5] },
    mapOver: "x",
  });
  assert.equal(out.length, 5);
  const screen = term.screen();
  assert.equal(screen.length, 1, screen.join("\n"));
  assert.match(
    screen[0]!,
    /^✔ map {2}\[█{20}\] 5\/5 items · \d+(\.\d)?\/s · [\d.]+s$/,
  );
});

Deno.test("ProgressBar counts failed map items", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules({
    checked: ({ x }: { x: number }) => {
      if (x < 0) throw new RangeError("negative");
      return x;
    },
  }).withAdapters(new ProgressBar({ stream: term })).build();
  const out = await dr.map(["checked"], {
    inputs: { x: [1, -2, 3, -4] },
    mapOver: "x",
    onError: "collect",
  });
  assert.equal(out.filter((o) => !o.ok).length, 2);
  assert.match(
    term.screen()[0]!,
    /^✔ map {2}\[█{20}\] 4\/4 items · [\d.]+\/s · 2 failed · [\d.]+s$/,
  );
});

Deno.test("ProgressBar shows each fan-out block's items, summed over the blocks of a map's items", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules(block)
    .withAdapters(new ProgressBar({ stream: term })).build();
  assert.equal((await dr.execute(["total"], { inputs: { n: 4 } })).total, 14);
  let screen = term.screen();
  assert.match(screen[0]!, /^✔ run total .* 3\/3 nodes/);
  assert.match(screen[1]!, /^ {2}per item of steps {2}\[█{20}\] 4\/4 items · /);
  await dr.map(["total"], { inputs: { n: [1, 2, 3] }, mapOver: "n" });
  screen = term.screen();
  assert.match(screen[2]!, /^✔ map .* 3\/3 items/);
  assert.match(screen[3]!, /^ {2}per item of steps .* 6\/6 items/);
  assert.equal(screen.length, 4);
});

Deno.test("ProgressBar gives each nested pipeline a line of its own, and a nested map its items", async () => {
  const inner = new Pipeline({
    nodes: [
      node(({ doc }: { doc: string }) => doc.trim(), named("clean")),
      node(({ clean }: { clean: string }) => clean.length, named("size")),
    ],
  });
  const once = new Pipeline({
    nodes: [node(({ text }: { text: string }) => text.length, named("len"))],
  });
  const term = new FakeTerminal();
  const outer = new Pipeline({
    nodes: [
      inner.asNode({
        name: "measure",
        mapOver: "docs",
        inputMapping: { docs: "doc" },
      }),
      once.asNode({ name: "title" }),
      node(
        ({ size, len }: { size: number[]; len: number }) =>
          Math.max(len, ...size),
        named("longest"),
      ),
    ],
    engine: new Engine({ adapters: [new ProgressBar({ stream: term })] }),
  });
  const out = await outer.run({
    inputs: { docs: [" a ", "bb", "ccc "], text: "four" },
    outputs: ["longest"],
  });
  assert.equal(out.longest, 4);
  const screen = term.screen();
  // The run's own nodes: measure and title, the outputs they expose (size,
  // len), longest; inner nodes are counted apart.
  assert.match(screen[0]!, /^✔ run longest .* 5\/5 nodes · /);
  assert.match(screen[1]!, /^ {2}measure items {2}\[█{20}\] 3\/3 items · /);
  assert.equal(screen[2], "  measure (nested)  6 inner nodes done");
  assert.equal(screen[3], "  title (nested)  1 inner node done");
  assert.equal(screen.length, 4);
});

Deno.test("ProgressBar redraws while a run is on, showing the counts so far and an ETA", async () => {
  const term = new FakeTerminal();
  const dr = await new Builder().withModules({
    slow: async ({ x }: { x: number }) => {
      // The fourth item waits until a redraw has shown the first three.
      if (x === 3) await term.waitFor(/3\/10 items · [\d.]+\/s · ETA /);
      return x;
    },
  }).withAdapters(new ProgressBar({ stream: term, redrawMs: 5 })).build();
  await dr.map(["slow"], {
    inputs: { x: Array.from({ length: 10 }, (_, i) => i) },
    mapOver: "x",
  });
  assert.match(term.text, /… map {2}\[█{6}░{14}\] 3\/10 items/);
  assert.match(term.screen()[0]!, /^✔ map .* 10\/10 items/);
  assert.equal(term.screen().length, 1);
});

Deno.test("ProgressBar redraws at most once per redrawMs, whatever the number of items", async () => {
  const term = new FakeTerminal();
  const redrawMs = 50;
  const dr = await new Builder().withModules(chain)
    .withAdapters(new ProgressBar({ stream: term, redrawMs })).build();
  const started = performance.now();
  await dr.map(["c"], {
    inputs: { x: Array.from({ length: 20_000 }, (_, i) => i) },
    mapOver: "x",
  });
  const elapsed = performance.now() - started;
  // Timed frames, plus the last one when the map ends.
  assert.ok(
    term.frames <= Math.floor(elapsed / redrawMs) + 2,
    `${term.frames} frames in ${elapsed.toFixed(0)} ms`,
  );
  assert.match(term.screen()[0]!, /^✔ map .* 20000\/20000 items/);
});

Deno.test("ProgressBar off a terminal writes a quiet line every lineEveryMs and a last one, and nothing for short runs", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules({
    ...chain,
    waits: async ({ a }: { a: number }) => {
      await log.waitFor(/^braid: … run waits: 1\/2 nodes · [\d.]+s\n/);
      return a;
    },
  }).withAdapters(new ProgressBar({ stream: log, lineEveryMs: 10 })).build();
  await dr.execute(["c"], { inputs: { x: 1 } });
  assert.equal(log.text, "");
  await dr.execute(["waits"], { inputs: { x: 1 } });
  assert.ok(!log.text.includes(ESC), "no escape sequences");
  const lines = log.text.trimEnd().split("\n");
  assert.match(lines.at(-1)!, /^braid: ✔ run waits: 2\/2 nodes · [\d.]+s$/);
  assert.ok(lines.length >= 2);
});

Deno.test("ProgressBar with whenNotTerminal: 'silent' writes nothing off a terminal", async () => {
  const log = new FakeTerminal(false);
  const dr = await new Builder().withModules(chain).withAdapters(
    new ProgressBar({ stream: log, whenNotTerminal: "silent", lineEveryMs: 1 }),
  ).build();
  await dr.map(["c"], { inputs: { x: [1, 2, 3] }, mapOver: "x" });
  await dr.execute(["c"], { inputs: { x: 1 } });
  assert.equal(log.writes, 0);
});

Deno.test("ProgressBar.close() leaves the runs still on drawn as they are and stops drawing", async () => {
  const term = new FakeTerminal();
  const bar = new ProgressBar({ stream: term });
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  let reached!: () => void;
  const inside = new Promise<void>((resolve) => reached = resolve);
  const dr = await new Builder().withModules({
    ...chain,
    held: async ({ a }: { a: number }) => (reached(), await held, a),
  }).withAdapters(bar).build();
  const running = dr.execute(["held"], { inputs: { x: 1 } });
  await inside;
  bar.close();
  assert.match(term.screen()[0]!, /^… run held .* 1\/2 nodes/);
  const writes = term.writes;
  release();
  await running;
  assert.equal(term.writes, writes);
});

Deno.test("ProgressBar: a stream that throws ends the display, never the run", async () => {
  let calls = 0;
  const stream = {
    isTerminal: () => true,
    writeSync: (): number => {
      calls++;
      throw new Deno.errors.BrokenPipe("closed");
    },
  };
  const dr = await new Builder().withModules(chain)
    .withAdapters(new ProgressBar({ stream })).build();
  assert.equal((await dr.execute(["c"], { inputs: { x: 1 } })).c, 3);
  assert.equal((await dr.execute(["c"], { inputs: { x: 2 } })).c, 5);
  assert.equal(calls, 1);
});

Deno.test("ProgressBar rejects options that are not what they should be", () => {
  assert.throws(
    () => new ProgressBar({ redrawMs: 0 }),
    /'redrawMs' must be a positive number: received 0/,
  );
  assert.throws(
    () => new ProgressBar({ whenNotTerminal: "loud" as "lines" }),
    /'whenNotTerminal' must be "lines" or "silent": received loud/,
  );
  assert.throws(
    () => new ProgressBar(null as never),
    /'options' must be an object/,
  );
});

Deno.test("ProgressBar draws on a real pseudo-terminal, and nothing on a pipe", async () => {
  const fixture = new URL("../fixtures/progress_tty.ts", import.meta.url)
    .pathname;
  const command = `"${Deno.execPath()}" run --quiet ${fixture}`;
  const tty = await new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(tty.stdout);
  assert.equal(tty.code, 0, text + new TextDecoder().decode(tty.stderr));
  assert.match(text, /terminal: true/);
  // Each line is drawn over a cleared one.
  assert.ok(text.includes(`${ESC}[2K✔ run c  [${"█".repeat(20)}] 3/3 nodes`));
  assert.ok(text.includes(`${ESC}[2K✔ map  [${"█".repeat(20)}] 4/4 items`));
  const piped = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", fixture],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(piped.code, 0);
  assert.equal(new TextDecoder().decode(piped.stdout), "terminal: false\n");
  assert.equal(new TextDecoder().decode(piped.stderr), "");
});

Deno.test("ProgressBar counts a retried failure as a retry, and only the last failure as failed", async () => {
  const term = new FakeTerminal();
  let calls = 0;
  const dr = await new Builder().withModules({
    ...chain,
    flaky: node(({ a }: { a: number }) => {
      if (++calls < 3) throw new Error(`flake ${calls}`);
      return a;
    }, retry({ attempts: 3 })),
    doomed: node(({ a }: { a: number }): number => {
      throw new Error(`doomed ${a}`);
    }, retry({ attempts: 2 })),
  }).withAdapters(new ProgressBar({ stream: term })).build();
  await dr.execute(["flaky"], { inputs: { x: 1 } });
  await assert.rejects(dr.execute(["doomed"], { inputs: { x: 1 } }));
  const screen = term.screen();
  assert.match(screen[0]!, /^✔ run flaky .* 2\/2 nodes · 2 retries · [\d.]+s$/);
  assert.match(
    screen[1]!,
    /^✖ run doomed .* 2\/2 nodes · 1 retry · 1 failed · [\d.]+s$/,
  );
});
