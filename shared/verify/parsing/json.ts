/** Reading nested fields of a parsed JSON body without trusting its shape. */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` inside nested objects, or `undefined` when any step is missing or not an object. */
export function jsonValueAt(value: unknown, path: readonly string[]): unknown {
  let current: unknown = value;
  for (const field of path) {
    if (!isRecord(current) || !Object.hasOwn(current, field)) {
      return undefined;
    }
    current = current[field];
  }
  return current;
}

/** A non-empty string at `path`, or `undefined`. */
export function jsonStringAt(value: unknown, path: readonly string[]): string | undefined {
  const found = jsonValueAt(value, path);
  return typeof found === "string" && found.length > 0 ? found : undefined;
}

/** A non-empty string, or a safe integer written in decimal, at `path` (ids some providers send as numbers). */
export function jsonIdAt(value: unknown, path: readonly string[]): string | undefined {
  const found = jsonValueAt(value, path);
  if (typeof found === "number") {
    return Number.isSafeInteger(found) ? String(found) : undefined;
  }
  return typeof found === "string" && found.length > 0 ? found : undefined;
}
