// How error messages name a value a caller passed: short, and never the
// whole value (it may be large, or secret).

/** A short description of `value` for an error message. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") {
    return `function ${value.name || "<anonymous>"}`;
  }
  if (Array.isArray(value)) {
    return `an array [${value.map(describeValue).join(", ")}]`;
  }
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return String(value);
}
