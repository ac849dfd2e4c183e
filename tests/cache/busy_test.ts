import assert from "node:assert/strict";
import { whileBusy } from "../../src/cache/_busy.ts";

const locked = () => new Error("database is locked");

Deno.test("a statement that finds the database locked is tried again until it goes through", () => {
  let calls = 0;
  const result = whileBusy(() => {
    if (++calls < 3) throw locked();
    return "done";
  }, 1000);
  assert.equal(result, "done");
  assert.equal(calls, 3);
});

Deno.test("other errors are thrown at once, and a lock that outlasts the timeout in the end", () => {
  let calls = 0;
  assert.throws(
    () =>
      whileBusy(() => {
        calls++;
        throw new Error("no such table: x");
      }, 1000),
    /no such table/,
  );
  assert.equal(calls, 1);
  const started = Date.now();
  assert.throws(() =>
    whileBusy(() => {
      throw locked();
    }, 30), /database is locked/);
  assert.ok(Date.now() - started >= 30);
});
