import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * An item's size as DynamoDB bills it: attribute names plus values (strings and binaries by their
 * bytes, numbers by about one byte per two significant digits plus one, booleans and nulls one byte,
 * lists and maps three bytes plus one per element plus their contents).
 */
export function itemSizeBytes(item: Readonly<Record<string, AttributeValue>>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, "").replace(/\./, "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((t, s) => t + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((t, s) => t + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((t, b) => t + b.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((t, v) => t + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + itemSizeBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

/** Write units one write of this item costs (1 KB each, rounded up, at least one). */
export const writeUnits = (item: Readonly<Record<string, AttributeValue>>): number =>
  Math.max(1, Math.ceil(itemSizeBytes(item) / 1024));
