// A chunk of map items sent as a remote job (the remote "parallel" map
// executor's): what its link tells of it turned into the outputs by column,
// or the error that fails the map.
import { RemoteError, WorkerError } from "../errors.ts";
import type { ChunkTask } from "./_protocol.ts";
import { RemoteFailure } from "./_remote_failure.ts";
import type { RemoteLink } from "./_remote_link.ts";
import { valueOf } from "./_remote_wire.ts";

/**
 * Sends `chunk` through `link`: its outputs by column, or a `RemoteFailure`
 * naming the item and node (a `WorkerError` or `RemoteError` when it failed
 * outside its nodes); `cancel()` withdraws it.
 */
export function runChunk(
  link: RemoteLink,
  name: string,
  chunk: Omit<ChunkTask, "id" | "timed">,
): { promise: Promise<unknown[][]>; cancel(): void } {
  const result = Promise.withResolvers<unknown[][]>();
  const label = `map items ${chunk.firstItem} to ${
    chunk.firstItem + chunk.count - 1
  }`;
  const id = link.sendChunk(name, chunk, {
    started: () => {},
    logged: () => {},
    ended: (reply) => {
      if (reply.kind === "lost") {
        return result.reject(
          new RemoteError(link.server, reply.problem, { cause: reply.cause }),
        );
      }
      if (reply.kind === "failed") {
        return result.reject(
          new WorkerError(
            `The ${label} failed on worker ${reply.worker} outside their nodes: ${reply.message}`,
          ),
        );
      }
      if (reply.kind === "error") {
        if (reply.loading === true || reply.uncloneable === true) {
          return result.reject(
            new WorkerError(
              `The ${label} cannot run on worker ${reply.worker}: ${reply.error.message}`,
            ),
          );
        }
        return result.reject(
          new RemoteFailure(reply.error, reply.item, reply.node),
        );
      }
      if (reply.bytes !== undefined) {
        return result.resolve(valueOf(reply.bytes) as unknown[][]);
      }
      link.take(reply.blob!).then(
        (bytes) =>
          bytes === undefined
            ? result.reject(
              new WorkerError(`The outputs of the ${label} are gone`),
            )
            : result.resolve(valueOf(bytes) as unknown[][]),
        result.reject,
      );
    },
  });
  return { promise: result.promise, cancel: () => link.abort(id) };
}
