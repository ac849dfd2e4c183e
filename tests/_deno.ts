// Runs the deno that runs the tests as a subprocess, for what must happen in
// a process of its own (permissions, several processes, examples, checks).

/** A finished `deno` subprocess: its exit code and decoded output. */
export interface DenoOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `deno ...args` without colours (in `options.cwd`, by default this
 * process's working directory, with `options.env` added to the
 * environment) and returns what it printed.
 */
export async function runDeno(
  args: readonly string[],
  options: {
    readonly cwd?: string;
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<DenoOutput> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...options.env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return {
    code: output.code,
    stdout: text.decode(output.stdout),
    stderr: text.decode(output.stderr),
  };
}
