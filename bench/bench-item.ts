import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * The ready-made event item of the ingest benchmark's baselines, as the null-ingest handler
 * (`bare-handler.ts`) receives it: JSON in one environment variable, binary attributes as base64.
 */
export const BENCH_ITEM_ENV = "WEBHOOKS_BENCH_ITEM";

type Encoded = Record<string, { S: string } | { N: string } | { B64: string }>;

export function encodeBenchItem(item: Readonly<Record<string, AttributeValue>>): string {
  const out: Encoded = {};
  for (const [name, value] of Object.entries(item)) {
    if (value.S !== undefined) out[name] = { S: value.S };
    else if (value.N !== undefined) out[name] = { N: value.N };
    else if (value.B !== undefined) out[name] = { B64: Buffer.from(value.B).toString("base64") };
    else throw new Error(`Bench item attribute ${name}: only S, N and B values are supported.`);
  }
  return JSON.stringify(out);
}

export function decodeBenchItem(text: string | undefined): Record<string, AttributeValue> {
  if (text === undefined || text === "") {
    throw new Error(`Environment variable ${BENCH_ITEM_ENV} is required but not set.`);
  }
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(JSON.parse(text) as Encoded)) {
    out[name] = "B64" in value ? { B: Buffer.from(value.B64, "base64") } : value;
  }
  return out;
}
