import { Builder } from "../mod.ts";
import * as G from "./_graphs.ts";
const dir = await Deno.makeTempDir();
const url = await G.writeChainModule(dir, "n", 10000, false);
const times: number[] = [];
for (let k = 1; k <= 30; k++) {
  const mod = await import(`${url}?k=${k}`);
  const t0 = performance.now();
  await new Builder().withModules(mod).build();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log("median ms", times[15], "min", times[0]);
