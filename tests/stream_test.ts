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
