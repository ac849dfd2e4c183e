// A terminal for progress tests: keeps what is written, answers whether it
// is a terminal as told, and replays the escape sequences the progress bar
// uses (\r, ESC[nA, ESC[2K, ESC[J, \n) to show the screen as a person
// would see it.
import type { TerminalWriter } from "../../mod.ts";

const decoder = new TextDecoder();

export class FakeTerminal implements TerminalWriter {
  /** Everything written, escapes included. */
  text = "";
  /** How many writeSync calls there were. */
  writes = 0;
  readonly #terminal: boolean;
  #waiting: { pattern: RegExp; resolve: () => void }[] = [];

  constructor(terminal = true) {
    this.#terminal = terminal;
  }

  isTerminal(): boolean {
    return this.#terminal;
  }

  writeSync(p: Uint8Array): number {
    this.text += decoder.decode(p);
    this.writes++;
    this.#waiting = this.#waiting.filter((w) => {
      if (!w.pattern.test(this.text)) return true;
      w.resolve();
      return false;
    });
    return p.length;
  }

  /** Resolves once what was written matches `pattern` (fails after 20 s). */
  waitFor(pattern: RegExp): Promise<void> {
    if (pattern.test(this.text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`never written: ${pattern}\n${this.text}`)),
        20_000,
      );
      this.#waiting.push({
        pattern,
        resolve: () => (clearTimeout(timer), resolve()),
      });
    });
  }

  /** How many frames the bar drew (each ends by clearing below it). */
  get frames(): number {
    return this.text.split("\x1b[J").length - 1;
  }

  /** The lines on screen now. */
  screen(): string[] {
    const rows: string[] = [""];
    let row = 0;
    // deno-lint-ignore no-control-regex
    const tokens = this.text.match(/\x1b\[\d*[A-Za-z]|\r|\n|[^\x1b\r\n]+/g) ??
      [];
    for (const token of tokens) {
      if (token === "\n") {
        row++;
        rows[row] ??= "";
      } else if (token === "\r") {
        continue; // lines are always cleared before they are written
      } else if (token.startsWith("\x1b[")) {
        const n = Number.parseInt(token.slice(2, -1) || "1");
        const op = token.at(-1);
        if (op === "A") row = Math.max(0, row - n);
        else if (op === "K") rows[row] = "";
        else if (op === "J") rows.length = row + 1, rows[row] = "";
      } else {
        rows[row] = (rows[row] ?? "") + token;
      }
    }
    while (rows.length > 0 && rows.at(-1) === "") rows.pop();
    return rows;
  }
}
