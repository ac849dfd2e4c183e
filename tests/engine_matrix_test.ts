// The Engine conformance matrix: every node executor x every map executor
// gives what sequential/sequential gives. The executors come from the
// registry, so an executor added there joins the matrix by itself.
import assert from "node:assert/strict";
import {
  type Adapter,
  Engine,
  type EngineOptions,
  type ExecutionEvent,
  type ExecutorKind,
  NodeExecutionError,
  Pipeline,
} from "../mod.ts";
import {
  MAP_EXECUTOR_KINDS,
  NODE_EXECUTOR_KINDS,
} from "../src/executors/registry.ts";
import * as nodes from "./fixtures/pipelines.ts";

const MATRIX: EngineOptions[] = [
  ...NODE_EXECUTOR_KINDS.flatMap((nodeExecutor) =>
    MAP_EXECUTOR_KINDS.map((mapExecutor) => ({ nodeExecutor, mapExecutor }))
  ),
  ...NODE_EXECUTOR_KINDS.flatMap((nodeExecutor) =>
    MAP_EXECUTOR_KINDS.map((mapExecutor) => ({
      nodeExecutor,
      mapExecutor,
      concurrency: 2,
    }))
  ),
];
const REFERENCE: EngineOptions = {
  nodeExecutor: "sequential",
  mapExecutor: "sequential",
};

const text = new Pipeline({
  nodes: [nodes.cleaned, nodes.words, nodes.chars, nodes.summary],
});
const word = new Pipeline({ nodes: [nodes.word_length, nodes.weighted] });

// Settles a promise into a comparable value: errors become their class,
// node and message, so failures compare across engines too. A failed run
// abandons nodes still running (1 ms timers): let them finish.
async function outcome(work: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await work() };
  } catch (error) {
    return { error: describe(error) };
  } finally {
    await new Promise((r) => setTimeout(r, 5));
  }
}

function describe(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return {
    type: error.constructor.name,
    node: (error as { nodeName?: string }).nodeName,
    message: error.message,
    cause: error.cause === undefined ? undefined : describe(error.cause),
  };
}

// Replaces errors inside collected results the same way.
function plain(value: unknown): unknown {
  if (value instanceof Error) return describe(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, plain(v)]),
    );
  }
  return value;
}

const scenarios: Record<string, (engine: Engine) => Promise<unknown>> = {
  "run: every output": (engine) =>
    text.withEngine(engine).run({ inputs: { passage: " Hello Big World " } }),
  "run: only what is asked": (engine) =>
    text.withEngine(engine).run({
      inputs: { passage: "a b", sep: ":" },
      outputs: ["summary"],
    }),
  "map: zip with a broadcast input": (engine) =>
    word.withEngine(engine).map({
      inputs: { word: ["a", "bb", "ccc", "dddd"], weight: 10 },
      mapOver: "word",
    }),
  "map: product": (engine) =>
    word.withEngine(engine).map({
      inputs: { word: ["a", "bb"], weight: [1, 2, 3] },
      mapOver: ["word", "weight"],
      mapMode: "product",
    }),
  "map: the first failure rejects, naming item and node": (engine) =>
    word.withEngine(engine).map({
      inputs: { word: ["a", "boom", "c"], weight: 1 },
      mapOver: "word",
    }),
  "map: collected failures": async (engine) =>
    plain(
      await word.withEngine(engine).map({
        inputs: { word: ["a", "boom", "c", "boom"], weight: 2 },
        mapOver: "word",
        onError: "collect",
      }),
    ),
  "nested: a mapped pipeline inside a mapped pipeline": (engine) => {
    const sentence = new Pipeline({
      nodes: [
        nodes.cleaned,
        nodes.words,
        word.asNode({
          name: "per_word",
          mapOver: "words",
          inputMapping: { words: "word" },
          outputMapping: { weighted: "weights" },
        }),
      ],
    });
    const doc = new Pipeline({
      nodes: [
        sentence.asNode({
          name: "per_sentence",
          mapOver: "passage",
          outputMapping: { weights: "all_weights", cleaned: "sentences" },
        }),
        nodes.total,
      ],
      engine,
    });
    return doc.map({
      inputs: { passage: [["A b", "cc d"], ["eee"]], weight: [1, 10] },
      mapOver: ["passage", "weight"],
    });
  },
  "nested: a failure deep inside": (engine) => {
    const outer = new Pipeline({
      nodes: [word.asNode({ name: "all", mapOver: "word" })],
      engine,
    });
    return outer.run({ inputs: { word: ["ok", "boom"], weight: 1 } });
  },
  "hooks: the same node executions, flat and nested": async (engine) => {
    const seen: string[] = [];
    const adapter: Adapter = {
      afterNodeExecution: (e) =>
        void seen.push(`${e.nodeName}#${e.item ?? "-"}:${e.success}`),
      afterMapItem: (e) => void seen.push(`item ${e.nodeName}:${e.item}`),
    };
    await using hooked = new Engine({
      nodeExecutor: engine.nodeExecutor as ExecutorKind,
      mapExecutor: engine.mapExecutor,
      concurrency: engine.concurrency,
      adapters: [adapter],
    });
    const outer = new Pipeline({
      nodes: [word.asNode({ name: "all", mapOver: "word" })],
      engine: hooked,
    });
    await outer.run({ inputs: { word: ["a", "bb"], weight: 1 } });
    await text.withEngine(hooked).map({
      inputs: { passage: ["x y", "z"] },
      mapOver: "passage",
    });
    return seen.sort();
  },
  "stream: the same events per node and item": async (engine) => {
    const events: ExecutionEvent[] = [];
    for await (
      const e of text.withEngine(engine).stream({
        inputs: { passage: ["x y", "z", "u v w"] },
        mapOver: "passage",
      })
    ) events.push(e);
    return events
      .map((e) =>
        e.type === "mapItem"
          ? `mapItem:${e.item}:${e.total}`
          : "nodeName" in e
          ? `${e.type}:${e.nodeName}#${e.item}`
          : e.type
      )
      .sort();
  },
};

for (const [name, scenario] of Object.entries(scenarios)) {
  Deno.test(`Engine matrix: ${name} is the same on every engine`, async () => {
    await using reference = new Engine(REFERENCE);
    const expected = await outcome(() => scenario(reference));
    for (const options of MATRIX) {
      // Engines with worker pools must be closed; closing is always allowed.
      await using engine = new Engine(options);
      const actual = await outcome(() => scenario(engine));
      assert.deepEqual(actual, expected, JSON.stringify(options));
    }
  });
}

Deno.test("Engine matrix: the reference results are what HyperNodes semantics say", async () => {
  await using reference = new Engine(REFERENCE);
  assert.deepEqual(await scenarios["run: every output"]!(reference), {
    cleaned: "hello big world",
    words: ["hello", "big", "world"],
    chars: 13,
    summary: "3/13",
  });
  assert.deepEqual(
    await scenarios["nested: a mapped pipeline inside a mapped pipeline"]!(
      reference,
    ),
    [
      {
        sentences: ["a b", "cc d"],
        all_weights: [[1, 1], [2, 1]],
        total: 5,
      },
      { sentences: ["eee"], all_weights: [[30]], total: 30 },
    ],
  );
  await assert.rejects(
    scenarios["map: the first failure rejects, naming item and node"]!(
      reference,
    ) as Promise<unknown>,
    (e: unknown) =>
      e instanceof NodeExecutionError && e.nodeName === "word_length" &&
      /item 1/.test(e.message),
  );
  const collected = await scenarios["map: collected failures"]!(
    reference,
  ) as { ok: boolean }[];
  assert.deepEqual(collected.map((r) => r.ok), [true, false, true, false]);
  const hooks =
    await scenarios["hooks: the same node executions, flat and nested"]!(
      reference,
    ) as string[];
  assert.ok(hooks.includes("all.weighted#1:true"), String(hooks));
  assert.ok(hooks.includes("item all:1"), String(hooks));
  assert.ok(hooks.includes("summary#1:true"), String(hooks));
});
