/**
 * Expanding `map` inputs into items: zip (lists of equal length, item i takes
 * element i of each) or product (every combination, the first list varying
 * slowest). Inputs not mapped over are broadcast to every item.
 *
 * @module
 */

/** How mapped lists combine into items. */
export type MapMode = "zip" | "product";

/** One item's inputs, as the broadcast inputs plus its mapped values. */
export function expandItems(
  inputs: Readonly<Record<string, unknown>>,
  mapOver: string | readonly string[],
  mapMode: MapMode = "zip",
): Record<string, unknown>[] {
  const names = typeof mapOver === "string" ? [mapOver] : [...mapOver];
  if (names.length === 0) {
    throw new TypeError("'mapOver' must name at least one input");
  }
  if (mapMode !== "zip" && mapMode !== "product") {
    throw new TypeError(
      `'mapMode' must be "zip" or "product": received ${mapMode}`,
    );
  }
  const lists = names.map((name) => {
    if (!Object.hasOwn(inputs, name)) {
      throw new TypeError(
        `'mapOver' names "${name}", which is not in 'inputs'`,
      );
    }
    const value = inputs[name];
    if (
      typeof value === "string" || value === null ||
      typeof (value as Iterable<unknown>)?.[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `Input "${name}" is mapped over, so it must be an array or iterable: received ${typeof value}`,
      );
    }
    return Array.isArray(value) ? value : [...value as Iterable<unknown>];
  });
  const broadcast: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(inputs)) {
    if (!names.includes(key)) broadcast[key] = value;
  }
  return mapMode === "zip"
    ? zip(names, lists, broadcast)
    : product(names, lists, broadcast);
}

function zip(
  names: string[],
  lists: unknown[][],
  broadcast: Record<string, unknown>,
): Record<string, unknown>[] {
  const length = lists[0]!.length;
  for (const list of lists) {
    if (list.length !== length) {
      throw new RangeError(
        `Cannot zip mapped inputs of unequal length: ${
          names.map((n, k) => `"${n}" has ${lists[k]!.length}`).join(", ")
        } (use mapMode "product" for every combination)`,
      );
    }
  }
  const items: Record<string, unknown>[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const item = { ...broadcast };
    for (let k = 0; k < names.length; k++) item[names[k]!] = lists[k]![i];
    items[i] = item;
  }
  return items;
}

function product(
  names: string[],
  lists: unknown[][],
  broadcast: Record<string, unknown>,
): Record<string, unknown>[] {
  let items: Record<string, unknown>[] = [{ ...broadcast }];
  for (let k = 0; k < names.length; k++) {
    const next: Record<string, unknown>[] = [];
    for (const item of items) {
      for (const value of lists[k]!) next.push({ ...item, [names[k]!]: value });
    }
    items = next;
  }
  return items;
}
