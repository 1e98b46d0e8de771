/**
 * The cursors the ops API hands out: a JSON object in base64url, opaque to callers. Each reader checks
 * the fields of its own cursor; this module only does the encoding both share.
 */
export function encodeCursor(state: object): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64url");
}

/** The object `text` encodes, or undefined when it is not a cursor (empty, too long, not base64url JSON). */
export function decodeCursor(text: string, maxChars: number): Record<string, unknown> | undefined {
  if (text.length === 0 || text.length > maxChars || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
