/**
 * `DriverFactory`: built drivers cached by fingerprint, for servers that
 * serve many configurations (one driver per distinct config, mode and code,
 * built once, reused by every request that needs it).
 *
 * @module
 */
import type { Builder } from "./builder.ts";
import type { AsyncDriver, DictResult } from "./driver.ts";

/**
 * Makes drivers from requests through `make(request) => builder`, and keeps
 * each built driver under its fingerprint (config, modules' code, execution
 * mode, executors and their options): a request whose builder has the
 * fingerprint of one built before gets that driver. Concurrent requests for
 * one fingerprint share one build; a build that fails is not kept.
 *
 * @example
 * ```ts
 * import { Builder, DriverFactory } from "@braid/braid";
 * const nodes = { rate: ({ region }: { region: string }) => region === "EU" ? 0.2 : 0.1 };
 * const factory = new DriverFactory((request: { region: string }) =>
 *   new Builder().withModules(nodes).withConfig({ region: request.region })
 * );
 * const eu = await factory.get({ region: "EU" });
 * console.assert(eu === await factory.get({ region: "EU" }));
 * console.assert(eu !== await factory.get({ region: "US" }));
 * await factory.close();
 * ```
 */
export class DriverFactory<Q, M = unknown, R = DictResult> {
  readonly #make: (request: Q) => Builder<M, R>;
  readonly #drivers = new Map<string, Promise<AsyncDriver<M, R>>>();
  #closed = false;

  /** Creates a factory that makes a request's builder with `make`. */
  constructor(make: (request: Q) => Builder<M, R>) {
    if (typeof make !== "function") {
      throw new TypeError(
        `'make' must be a function from a request to a Builder: received ${make}`,
      );
    }
    this.#make = make;
  }

  /** How many drivers it holds. */
  get size(): number {
    return this.#drivers.size;
  }

  /** The driver for `request`: the one built before for its fingerprint, or a new one. */
  async get(request: Q): Promise<AsyncDriver<M, R>> {
    if (this.#closed) throw new TypeError("This DriverFactory is closed");
    const builder = this.#make(request);
    const key = await builder.fingerprint();
    let driver = this.#drivers.get(key);
    if (driver === undefined) {
      driver = builder.build();
      this.#drivers.set(key, driver);
      driver.catch(() => {
        if (this.#drivers.get(key) === driver) this.#drivers.delete(key);
      });
    }
    return await driver;
  }

  /** Closes every driver it built; later `get` calls throw. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const drivers = [...this.#drivers.values()];
    this.#drivers.clear();
    const built = await Promise.allSettled(drivers);
    for (const result of built) {
      if (result.status === "fulfilled") await result.value.close();
    }
  }

  /** Closes the factory (`await using factory = ...`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
