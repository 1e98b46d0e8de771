/** A non-empty string property of a parsed JSON object, or `undefined` for any other shape. */
export function jsonStringField(value: unknown, field: string): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, field)) {
    return undefined;
  }
  const property: unknown = (value as Record<string, unknown>)[field];
  return typeof property === "string" && property.length > 0 ? property : undefined;
}
