import { createHash } from "node:crypto";

/**
 * The dedupe key of one verified request, without its `<sourceId>#` prefix. One key, one write:
 *
 * - `id:<deliveryId>` when the provider's delivery id is what dedupes (it is covered by the signature,
 *   or nothing of the request is signed), and the id is at most `MAX_VERBATIM_ID_BYTES` of UTF-8;
 * - `idsha256:<hex>` for such an id that is longer: DynamoDB refuses partition keys over 2,048 bytes,
 *   and a sender would otherwise retry a `500` forever;
 * - `sha256:<hex>` of the signed content (the body, unless the verifier names another canonical form)
 *   when there is no id, or when the id is outside the signature: a replay of one signed request under
 *   fresh ids then hits the same key, and so does a provider's retry (the same bytes).
 */
export type DedupeKeyInput =
  | { readonly kind: "delivery-id"; readonly deliveryId: string }
  | { readonly kind: "content"; readonly content: Buffer | string };

/** Longest delivery id kept as is in a key; anything longer is replaced by its SHA-256. */
export const MAX_VERBATIM_ID_BYTES = 200;

const sha256Hex = (value: Buffer | string) => createHash("sha256").update(value).digest("hex");

export function dedupeKeyFor(input: DedupeKeyInput): string {
  if (input.kind === "content") return `sha256:${sha256Hex(input.content)}`;
  const { deliveryId } = input;
  return Buffer.byteLength(deliveryId, "utf8") <= MAX_VERBATIM_ID_BYTES
    ? `id:${deliveryId}`
    : `idsha256:${sha256Hex(deliveryId)}`;
}

/**
 * Which of a request's identities dedupes it: the delivery id when the signature covers it or when the
 * credential covers no content at all (hashing unsigned content would stop no replay), else the
 * signed content (`signedContent`, or the raw body).
 */
export function dedupeInputFor(input: {
  readonly deliveryId: string | undefined;
  readonly deliveryIdSigned: boolean | undefined;
  readonly signsContent: boolean;
  readonly signedContent: string | undefined;
  readonly rawBody: Buffer;
}): DedupeKeyInput {
  const { deliveryId } = input;
  if (
    deliveryId !== undefined &&
    deliveryId !== "" &&
    (input.deliveryIdSigned === true || !input.signsContent)
  ) {
    return { kind: "delivery-id", deliveryId };
  }
  return { kind: "content", content: input.signedContent ?? input.rawBody };
}
