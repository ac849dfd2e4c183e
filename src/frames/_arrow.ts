// apache-arrow, imported on first use: importing braid never loads it (it
// is large, and most graphs hold no tables).
type Arrow = typeof import("apache-arrow");

let loading: Promise<Arrow> | undefined;

/** The apache-arrow module, imported once, on first use. */
export function loadArrow(): Promise<Arrow> {
  return loading ??= import("apache-arrow");
}
