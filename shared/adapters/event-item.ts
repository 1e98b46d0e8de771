import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { NewEvent, StoredEvent } from "../ports/event-store.js";

/**
 * The event item's layout in DynamoDB, one place for the writer (ingest), the stream reader (router)
 * and the ops reader. Attribute names are short because every byte counts towards write units: one
 * write unit buys 1 KB, and a 1 KiB webhook should cost one.
 *
 * | attribute | holds |
 * |---|---|
 * | `pk` | event id |
 * | `src` `prv` `typ` `did` | source, provider, event type, provider delivery id |
 * | `rcv` | received at, epoch ms |
 * | `exp` | TTL, epoch seconds |
 * | `ct` | content type |
 * | `n` | body size in bytes, as posted |
 * | `z` or `b` | headers (JSON) + `\n` + body: brotli-compressed when that is smaller, else as is |
 * | `hd` + `ref` | headers JSON and the payload store reference, for a body too large for the item |
 * | `hd` + `er` + `era` | after erasure: the headers, a tombstone flag and when |
 */

/** Largest headers+body blob kept in the item; beyond it the body goes to the payload store. */
export const INLINE_BLOB_LIMIT_BYTES = 32 * 1024;

const NEWLINE = 0x0a;

function frame(headers: Readonly<Record<string, string>>, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${JSON.stringify(headers)}\n`, "utf8"), body]);
}

function unframe(blob: Buffer): { headers: Record<string, string>; body: Buffer } {
  const split = blob.indexOf(NEWLINE);
  if (split === -1) throw new Error("event item blob has no header frame");
  return {
    headers: JSON.parse(blob.subarray(0, split).toString("utf8")) as Record<string, string>,
    body: blob.subarray(split + 1),
  };
}

/** The stored form of headers + body: compressed only when that saves bytes. */
export function packBlob(
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): { kind: "z" | "b"; bytes: Buffer } {
  const framed = frame(headers, body);
  const compressed = brotliCompressSync(framed, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_SIZE_HINT]: framed.length,
    },
  });
  return compressed.length < framed.length ? { kind: "z", bytes: compressed } : { kind: "b", bytes: framed };
}

/** The item for a new event; `ref` when its body was put in the payload store. */
export function toItem(
  event: NewEvent,
  blob: { kind: "z" | "b"; bytes: Buffer } | { ref: string },
): Record<string, AttributeValue> {
  return {
    pk: { S: event.id },
    src: { S: event.sourceId },
    prv: { S: event.provider },
    typ: { S: event.type },
    ...(event.deliveryId ? { did: { S: event.deliveryId } } : {}),
    rcv: { N: String(event.receivedAt) },
    exp: { N: String(event.expiresAt) },
    ...(event.contentType ? { ct: { S: event.contentType } } : {}),
    n: { N: String(event.body.length) },
    ...("ref" in blob
      ? { hd: { S: JSON.stringify(event.headers) }, ref: { S: blob.ref } }
      : { [blob.kind]: { B: blob.bytes } }),
  };
}

/** An attribute value as the SDK returns it (binary as bytes) or as a Lambda stream event carries it (base64). */
type AnyValue = { S?: string; N?: string; B?: Uint8Array | string; BOOL?: boolean };
type AnyItem = Readonly<Record<string, AnyValue | undefined>>;

const bytesOf = (value: AnyValue | undefined): Buffer | undefined =>
  value?.B === undefined
    ? undefined
    : typeof value.B === "string"
      ? Buffer.from(value.B, "base64")
      : Buffer.from(value.B);

/** Reads an item (from GetItem, or a stream record's NewImage) back into the event it holds. */
export function fromItem(item: AnyItem): StoredEvent {
  const s = (name: string) => item[name]?.S;
  const n = (name: string) => Number(item[name]?.N ?? "0");
  const z = bytesOf(item.z);
  const raw = bytesOf(item.b);
  const unpacked = z ? unframe(brotliDecompressSync(z)) : raw ? unframe(raw) : undefined;
  const headersJson = s("hd");
  const did = s("did");
  const ct = s("ct");
  const ref = s("ref");
  const erasedAt = s("era");
  return {
    id: s("pk") ?? "",
    sourceId: s("src") ?? "",
    provider: s("prv") ?? "",
    type: s("typ") ?? "",
    ...(did === undefined ? {} : { deliveryId: did }),
    receivedAt: n("rcv"),
    expiresAt: n("exp"),
    ...(ct === undefined ? {} : { contentType: ct }),
    headers: unpacked?.headers ?? (headersJson ? (JSON.parse(headersJson) as Record<string, string>) : {}),
    ...(unpacked ? { body: unpacked.body } : {}),
    ...(ref === undefined ? {} : { bodyRef: ref }),
    bodyBytes: n("n"),
    ...(erasedAt === undefined ? {} : { erasedAt }),
  };
}
