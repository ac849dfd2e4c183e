// `ctx.log` and `ctx.warn` of a node that runs far from its run (a worker
// thread, a worker process, a remote worker): each message goes back as a
// `log` reply of its task, a warning flagged as one.

/** A `log` reply, as every far side sends it. */
export interface LogReply {
  readonly type: "log";
  readonly id: number;
  readonly nodeName: string;
  readonly message: string;
  readonly data?: unknown;
  readonly item?: number | undefined;
  readonly warning?: boolean;
}

/** The `log` and `warn` of a ctx for task `id`, sending through `send`. */
export function farLogging(
  send: (reply: LogReply) => void,
  id: number,
  nodeName: string,
  item: number | undefined,
): {
  log(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
} {
  return {
    log: (message, data) =>
      send({ type: "log", id, nodeName, message, data, item }),
    warn: (message, data) =>
      send({ type: "log", id, nodeName, message, data, item, warning: true }),
  };
}
