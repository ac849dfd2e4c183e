import assert from "node:assert/strict";
import { Builder } from "../mod.ts";
import { EventChannel } from "../src/events.ts";

Deno.test("EventChannel yields events queued before and pushed after a read waits, in order, then ends on close", async () => {
  const channel = new EventChannel<number>();
  channel.push(1);
  channel.push(2);
  const read: number[] = [];
  const reader = (async () => {
    for await (const n of channel) read.push(n);
  })();
  await Promise.resolve();
  channel.push(3);
  channel.close();
  channel.push(4); // dropped: closed
  await reader;
  assert.deepEqual(read, [1, 2, 3]);
});

Deno.test("EventChannel.fail rejects the read after the queued events", async () => {
  const channel = new EventChannel<string>();
  channel.push("a");
  channel.fail(new Error("recorder broke"));
  assert.deepEqual(await channel.next(), { value: "a", done: false });
  await assert.rejects(channel.next(), /recorder broke/);
  assert.deepEqual(await channel.next(), { value: undefined, done: true });
});

Deno.test("EventChannel answers reads made while others wait in the order they were made, and ends the rest on close", async () => {
  const channel = new EventChannel<string>();
  const reads = [channel.next(), channel.next(), channel.next()];
  channel.push("a");
  channel.push("b");
  channel.close();
  assert.deepEqual(await Promise.all(reads), [
    { value: "a", done: false },
    { value: "b", done: false },
    { value: undefined, done: true },
  ]);
});

Deno.test("stream() rejects its first read for a bad request, before any event, and then is done", async () => {
  const dr = await new Builder().withModules({ a: () => 1 }).build();
  const events = dr.stream(["nope" as "a"]);
  await assert.rejects(events.next(), /nope/);
  assert.deepEqual(await events.next(), { value: undefined, done: true });
});

Deno.test("a stream() closed before its first read runs nothing", async () => {
  let ran = 0;
  const dr = await new Builder().withModules({ a: () => ran++ }).build();
  const events = dr.stream(["a"]);
  assert.deepEqual(await events.return(), { value: undefined, done: true });
  assert.deepEqual(await events.next(), { value: undefined, done: true });
  assert.equal(ran, 0);
});

Deno.test("EventChannel.drained resolves once the reader has brought the queue down to the mark, or at close", async () => {
  const channel = new EventChannel<number>();
  for (let i = 0; i < 5; i++) channel.push(i);
  let drained = false;
  const waiting = channel.drained(2).then(() => drained = true);
  await channel.next();
  await channel.next();
  await Promise.resolve();
  assert.equal(drained, false); // 3 still queued
  await channel.next();
  await waiting;
  assert.equal(channel.size, 2);
  await channel.drained(2); // already there
  const atClose = channel.drained(0);
  channel.close();
  await atClose;
});

Deno.test("stream() of a map starts no more items while its reader is far behind, then runs them all as it reads", async () => {
  const count = 20_000;
  let started = 0;
  const dr = await new Builder()
    .withModules({ a: ({ x }: { x: number }) => (started++, x) })
    .withExecutor("async")
    .build();
  const events = dr.stream(["a"], {
    inputs: { x: Array.from({ length: count }, (_, i) => i) },
    mapOver: "x",
  });
  await events.next(); // the map starts
  // Everything that can run without the reader reading runs now.
  for (let turn = 0; turn < 5; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // Three events an item (started, succeeded, item done) against a few
  // thousand unread events before items wait.
  assert.ok(started < count / 4, `${started} of ${count} items started`);
  let items = 0;
  for await (const event of events) if (event.type === "mapItem") items++;
  assert.equal(items, count);
  assert.equal(started, count);
});

Deno.test("leaving a stream() of a map while its items are held back ends the map", async () => {
  let started = 0;
  const dr = await new Builder()
    .withModules({ a: ({ x }: { x: number }) => (started++, x) })
    .withExecutor("async")
    .build();
  let read = 0;
  for await (
    const _ of dr.stream(["a"], {
      inputs: { x: Array.from({ length: 20_000 }, (_, i) => i) },
      mapOver: "x",
    })
  ) {
    if (++read === 10) {
      for (let turn = 0; turn < 5; turn++) {
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      break;
    }
  }
  const atBreak = started;
  for (let turn = 0; turn < 5; turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(started, atBreak); // nothing started after the reader left
  assert.ok(started < 20_000);
});
