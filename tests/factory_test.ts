import assert from "node:assert/strict";
import { Builder, config, DriverFactory, node } from "../mod.ts";

const rateNodes = {
  rate__eu: node(() => 0.2, config.when({ region: "EU" })),
  rate__us: node(() => 0.1, config.whenNot({ region: "EU" })),
  price: ({ rate, base }: { rate: number; base: number }) => base * (1 + rate),
};

type Request = { region: string; base?: number; mode?: "serial" | "parallel" };
const make = (request: Request) => {
  const builder = new Builder().withModules(rateNodes)
    .withConfig({ region: request.region, base: request.base ?? 100 });
  return request.mode === "parallel"
    ? builder.withMode("plan-parallel", { heavy: "async" })
    : builder;
};

Deno.test("DriverFactory.get returns the driver built before for an equal request, a new one for another", async () => {
  await using factory = new DriverFactory(make);
  const eu = await factory.get({ region: "EU" });
  assert.equal(await factory.get({ region: "EU" }), eu);
  const us = await factory.get({ region: "US" });
  assert.notEqual(us, eu);
  assert.notEqual(await factory.get({ region: "EU", base: 7 }), eu);
  assert.notEqual(await factory.get({ region: "EU", mode: "parallel" }), eu);
  assert.equal(factory.size, 4);
  assert.deepEqual(await eu.execute(["price"]), { price: 120 });
});

Deno.test("concurrent gets for one fingerprint share one build", async () => {
  let made = 0;
  await using factory = new DriverFactory((
    request: Request,
  ) => (made++, make(request)));
  const drivers = await Promise.all(
    Array.from({ length: 5 }, () => factory.get({ region: "EU" })),
  );
  assert.equal(made, 5); // every request makes its builder...
  assert.equal(new Set(drivers).size, 1); // ...and one driver serves them
  assert.equal(factory.size, 1);
});

Deno.test("the fingerprint covers config and code; the plan signature changes only with the graph", async () => {
  const [eu, eu7, us] = await Promise.all([
    make({ region: "EU" }).build(),
    make({ region: "EU", base: 7 }).build(),
    make({ region: "US" }).build(),
  ]);
  // A value fed by config: same graph, another driver.
  assert.equal(eu7.planSignature, eu.planSignature);
  assert.notEqual(eu7.fingerprint, eu.fingerprint);
  // Config that picks another variant: another graph.
  assert.notEqual(us.planSignature, eu.planSignature);
  // The builder tells the fingerprint before building.
  assert.equal(await make({ region: "EU" }).fingerprint(), eu.fingerprint);
  // Edited code, same names: another graph.
  const edited = await new Builder().withModules({
    ...rateNodes,
    price: ({ rate, base }: { rate: number; base: number }) => base * rate,
  }).withConfig({ region: "EU", base: 100 }).build();
  assert.notEqual(edited.planSignature, eu.planSignature);
  // Comments and formatting are not code.
  const reformatted = await new Builder().withModules({
    ...rateNodes,
    price: ({ rate, base }: { rate: number; base: number }) =>
      // the same price
      base *
      (1 + rate),
  }).withConfig({ region: "EU", base: 100 }).build();
  assert.equal(reformatted.planSignature, eu.planSignature);
  assert.match(eu.fingerprint, /^[0-9a-f]{64}$/);
});

Deno.test("a build that fails is not kept: the next get builds again", async () => {
  let fail = true;
  await using factory = new DriverFactory((_: null) =>
    new Builder().withModules({
      a: node(() => 1),
    }).withAdapters({
      validateGraph: () => fail ? "not yet" : true,
    })
  );
  await assert.rejects(factory.get(null), /not yet/);
  assert.equal(factory.size, 0);
  fail = false;
  const dr = await factory.get(null);
  assert.deepEqual(await dr.execute(["a"]), { a: 1 });
});

Deno.test("close() closes every driver the factory built, and later gets are refused", async () => {
  const factory = new DriverFactory(make);
  const dr = await factory.get({ region: "EU" });
  let closed = 0;
  const close = dr.close.bind(dr);
  dr.close = () => (closed++, close());
  await factory.close();
  await factory.close(); // harmless
  assert.equal(closed, 1);
  await assert.rejects(factory.get({ region: "EU" }), /closed/);
});
