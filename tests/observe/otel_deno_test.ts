// The OpenTelemetryAdapter with Deno's built-in OpenTelemetry: the example
// runs in a process of its own with OTEL_DENO=true, exporting OTLP/JSON to
// a receiver this test serves on loopback.
import assert from "node:assert/strict";
import { runDeno } from "../_deno.ts";

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly doubleValue?: number;
  readonly boolValue?: boolean;
}

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes?: readonly {
    readonly key: string;
    readonly value: OtlpValue;
  }[];
}

interface OtlpTraces {
  readonly resourceSpans?: readonly {
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value?.stringValue ?? value?.intValue ?? value?.doubleValue ??
    value?.boolValue;
};

Deno.test("with OTEL_DENO=true the example's spans reach an OTLP receiver, each node's with its run's or map's span as parent", async () => {
  const spans: OtlpSpan[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const body = await request.text();
      if (new URL(request.url).pathname === "/v1/traces") {
        const traces = JSON.parse(body) as OtlpTraces;
        for (const resource of traces.resourceSpans ?? []) {
          for (const scope of resource.scopeSpans ?? []) {
            spans.push(...scope.spans ?? []);
          }
        }
      }
      return Response.json({});
    },
  );
  const root = new URL("../../", import.meta.url);
  const dir = await Deno.makeTempDir({ prefix: "braid-otel-" });
  try {
    const { code, stdout, stderr } = await runDeno([
      "run",
      "--no-prompt",
      `--allow-read=${new URL("examples", root).pathname}`,
      `--allow-write=${dir}`,
      "--allow-env=OTEL_DENO",
      new URL("examples/observe.ts", root).href,
      `${dir}/run.svg`,
    ], {
      env: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}`,
      },
    });
    assert.equal(code, 0, stderr);
    // Deno exports the spans, not the console exporter.
    assert.equal(stdout.includes("braid.node"), false);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const runs = spans.filter((s) => s.name === "braid.run");
  const maps = spans.filter((s) => s.name === "braid.map");
  const nodes = spans.filter((s) => s.name === "braid.node");
  assert.equal(runs.length, 1);
  assert.equal(maps.length, 1);
  assert.equal(attribute(runs[0]!, "braid.run.tag.example"), "observe");
  assert.equal(Number(attribute(maps[0]!, "braid.map.items")), 5);
  assert.ok(nodes.length > 10, `only ${nodes.length} node spans`);
  for (const node of nodes) {
    const parent = byId.get(node.parentSpanId ?? "");
    assert.ok(
      parent !== undefined &&
        (parent.name === "braid.run" || parent.name === "braid.map"),
      `node ${attribute(node, "braid.node.name")} has no run or map parent`,
    );
    assert.equal(node.traceId, parent.traceId);
    assert.equal(
      attribute(node, "braid.run.id"),
      attribute(parent, "braid.run.id"),
    );
  }
  const items = nodes.filter((n) => n.parentSpanId === maps[0]!.spanId);
  assert.deepEqual(
    [...new Set(items.map((n) => Number(attribute(n, "braid.item"))))].sort(),
    [0, 1, 2, 3, 4],
  );
});
