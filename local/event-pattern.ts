/**
 * The part of Lambda's event filtering syntax (EventBridge patterns) the topology uses, so a mapping's
 * filter is one JSON pattern: CDK passes it to the event source mapping as is, and the local runtime
 * matches records with it here. Supported: a list of literal values (any one matches), nested objects,
 * and `{ "exists": false | true }`. Anything else throws, so a pattern that would filter differently
 * in AWS cannot slip by.
 */
export type EventPattern = { readonly [key: string]: EventPattern | readonly PatternValue[] };
type PatternValue = string | number | boolean | null | { readonly exists: boolean };

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function matchesPattern(pattern: EventPattern, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(rule)) {
      if (!rule.some((candidate) => matchesValue(candidate, field))) return false;
    } else if (isObject(rule)) {
      if (!matchesPattern(rule as EventPattern, field)) return false;
    } else {
      throw new Error(`Event pattern field '${key}' must be a list or an object.`);
    }
  }
  return true;
}

function matchesValue(candidate: PatternValue, field: unknown): boolean {
  if (isObject(candidate)) {
    if (typeof candidate.exists === "boolean" && Object.keys(candidate).length === 1) {
      return candidate.exists === (field !== undefined);
    }
    throw new Error(`Unsupported event pattern operator ${JSON.stringify(candidate)}.`);
  }
  return field === candidate;
}
