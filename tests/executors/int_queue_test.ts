import assert from "node:assert/strict";
import { IntQueue } from "../../src/executors/_heap.ts";

Deno.test("IntQueue pops the smallest waiting item whatever the order of pushes and pops", () => {
  // A seeded generator: the same sequence every run.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const queue = new IntQueue();
    const reference: number[] = [];
    for (let step = 0; step < 60; step++) {
      if (random() < 0.6) {
        // Mostly ascending runs, sometimes out of order.
        const item = random() < 0.7
          ? (reference.at(-1) ?? 0) + Math.floor(random() * 3)
          : Math.floor(random() * 50);
        queue.push(item);
        reference.push(item);
        reference.sort((a, b) => a - b);
      } else {
        assert.equal(queue.peek(), reference[0]);
        assert.equal(queue.pop(), reference.shift());
      }
      assert.equal(queue.size, reference.length);
    }
    while (reference.length > 0) assert.equal(queue.pop(), reference.shift());
    assert.equal(queue.pop(), undefined);
    assert.equal(queue.size, 0);
  }
});
