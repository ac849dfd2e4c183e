// The file side of the sqlite store: result files live only in the cache's
// own values directory, and are written whole or not at all.
import { builtins } from "./_builtins.ts";

/**
 * Throws unless `values` is the directory `values` inside `root` itself:
 * result files are read, and damaged ones deleted, only inside the cache,
 * never through a link to elsewhere. A missing one is fine (nothing to read).
 */
export function checkInside(root: string, values: string): void {
  let link: boolean;
  try {
    link = Deno.lstatSync(values).isSymlink;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  const inside = builtins().path.join(Deno.realPathSync(root), "values");
  if (link || Deno.realPathSync(values) !== inside) {
    throw new Error(
      `the values directory of the cache in ${root} is a link to elsewhere: a cache keeps its results in its own directory (remove ${values} to start again)`,
    );
  }
}

/** Writes `file` whole or not at all: to a temporary name, then renamed. */
export function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${crypto.randomUUID()}.tmp`;
  try {
    Deno.writeFileSync(temporary, bytes);
    Deno.renameSync(temporary, file);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch { /* never written */ }
    throw error;
  }
}

/** Whether `file` exists (following links). */
export function exists(file: string): boolean {
  try {
    Deno.statSync(file);
    return true;
  } catch {
    return false;
  }
}
