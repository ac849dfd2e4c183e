// apache-arrow, imported on first use: importing braid never loads it (it
// is large, and most graphs hold no tables).
type Arrow = typeof import("npm:apache-arrow@21.2.0");

let loading: Promise<Arrow> | undefined;

/** The apache-arrow module, imported once, on first use. */
export function loadArrow(): Promise<Arrow> {
  return loading ??= import("npm:apache-arrow@21.2.0");
}
