/**
 * Reading fields of a parsed JSON body without trusting its shape, for `identify`. A path is a list of
 * object keys (`jsonStringAt(body, "event", "type")`); any step that is missing or not a plain object
 * gives `undefined`. Nothing here throws, whatever the value is.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

/** `value` when it is a plain JSON object (not null, not an array), else `undefined`. */
export function asJsonObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** `text` parsed as JSON when it is an object, else `undefined` (never throws). */
export function parseJsonObject(text: string): JsonObject | undefined {
  try {
    return asJsonObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** The value at `path` inside nested objects, or `undefined` when any step is missing or not an object. */
export function jsonAt(value: unknown, ...path: readonly string[]): unknown {
  let current: unknown = value;
  for (const field of path) {
    const object = asJsonObject(current);
    if (object === undefined || !Object.hasOwn(object, field)) {
      return undefined;
    }
    current = object[field];
  }
  return current;
}

/** The plain object at `path`, or `undefined`. */
export function jsonObjectAt(value: unknown, ...path: readonly string[]): JsonObject | undefined {
  return asJsonObject(jsonAt(value, ...path));
}

/** A non-empty string at `path`, or `undefined`. */
export function jsonStringAt(value: unknown, ...path: readonly string[]): string | undefined {
  const found = jsonAt(value, ...path);
  return typeof found === "string" && found.length > 0 ? found : undefined;
}

/** A non-empty string, or a safe integer written in decimal, at `path` (ids some providers send as numbers). */
export function jsonIdAt(value: unknown, ...path: readonly string[]): string | undefined {
  const found = jsonAt(value, ...path);
  if (typeof found === "number") {
    return Number.isSafeInteger(found) ? String(found) : undefined;
  }
  return typeof found === "string" && found.length > 0 ? found : undefined;
}

/** A non-negative safe integer at `path`, or `undefined`. */
export function jsonIntegerAt(value: unknown, ...path: readonly string[]): number | undefined {
  const found = jsonAt(value, ...path);
  return typeof found === "number" && Number.isSafeInteger(found) && found >= 0 ? found : undefined;
}
