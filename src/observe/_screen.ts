// The progress bar's output: on a terminal, a block of live lines redrawn in
// place (the cursor kept under it), with lines that are done written above
// it for good; elsewhere, plain lines. A stream that fails once is given up.
import { type TerminalWriter, writeAll } from "./writer.ts";

// Cursor up n lines, clear a line, clear to the end of the screen.
const UP = (n: number) => `\r\x1b[${n}A`;
const CLEAR_LINE = "\x1b[2K";
const CLEAR_BELOW = "\x1b[J";

/** One stream's output for a progress display. */
export class Screen {
  readonly #stream: TerminalWriter;
  /** Whether the stream is a terminal (asked once). */
  readonly terminal: boolean;
  readonly #width: number;
  // Lines of the live block on screen, above the cursor.
  #drawn = 0;
  #broken = false;

  constructor(stream: TerminalWriter, columns: number | undefined) {
    this.#stream = stream;
    this.terminal = stream.isTerminal();
    this.#width = (columns ?? consoleColumns(stream)) - 1;
  }

  /** False once a write failed: nothing is written any more. */
  get working(): boolean {
    return !this.#broken;
  }

  /** Redraws: `done` lines stay on screen, `live` ones are drawn over next time. */
  draw(done: readonly string[], live: readonly string[]): void {
    let text = this.#drawn > 0 ? UP(this.#drawn) : "";
    for (const line of done) text += `${CLEAR_LINE}${this.#fit(line)}\n`;
    for (const line of live) text += `${CLEAR_LINE}${this.#fit(line)}\n`;
    this.#drawn = live.length;
    this.write(text + CLEAR_BELOW);
  }

  /** Writes `text` as it is; a failing stream ends the output, never the run. */
  write(text: string): void {
    if (this.#broken) return;
    try {
      writeAll(this.#stream, text);
    } catch {
      this.#broken = true;
    }
  }

  // A line longer than the terminal would wrap, and the next redraw would
  // miscount the lines to go up: cut it.
  #fit(line: string): string {
    const chars = Array.from(line);
    return chars.length <= this.#width
      ? line
      : `${chars.slice(0, this.#width - 1).join("")}…`;
  }
}

function consoleColumns(stream: TerminalWriter): number {
  if (stream !== Deno.stderr) return 100;
  try {
    // A pseudo-terminal that was never sized reports 0 columns.
    const { columns } = Deno.consoleSize();
    return columns >= 20 ? columns : 100;
  } catch {
    return 100;
  }
}
