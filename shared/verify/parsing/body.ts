/**
 * Reading fields from verified bodies, for `identify`: JSON objects (nested ones too) and
 * `application/x-www-form-urlencoded` forms. Nothing here throws, whatever the bytes are.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

/** `value` when it is a plain JSON object (not null, not an array), else `undefined`. */
export function asJsonObject(value: unknown): JsonObject | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** The object under `field` of a JSON object, or `undefined` for any other shape. */
export function jsonObjectField(value: unknown, field: string): JsonObject | undefined {
  const object = asJsonObject(value);
  return object !== undefined && Object.hasOwn(object, field) ? asJsonObject(object[field]) : undefined;
}

/** A non-negative safe integer under `field` of a JSON object, or `undefined`. */
export function jsonIntegerField(value: unknown, field: string): number | undefined {
  const object = asJsonObject(value);
  const property = object !== undefined && Object.hasOwn(object, field) ? object[field] : undefined;
  return typeof property === "number" && Number.isSafeInteger(property) && property >= 0
    ? property
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

/** The body decoded as a form (`+` is a space, percent-escapes decoded); never throws. */
export function parseForm(rawBody: Buffer): URLSearchParams {
  return new URLSearchParams(rawBody.toString("utf8"));
}

/** The first value of a form field, or `undefined` when it is absent or empty. */
export function formField(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value !== null && value.length > 0 ? value : undefined;
}
