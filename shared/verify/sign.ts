import { type KeyObject, sign as signMessage } from "node:crypto";
import { computeHmac, utf8HmacKey } from "./schemes/hmac.js";
import { PUBLIC_KEY_PREFIX, standardWebhookKey } from "./schemes/standard-webhooks-keys.js";

/**
 * Pure signers for the schemes the verifiers accept: the outbound delivery signer uses
 * `signStandardWebhook`, tests use all of them to build authentic requests. Misuse (an unusable secret,
 * a timestamp that is not unix seconds) throws `TypeError`.
 */

export interface StandardWebhookSignInput {
  readonly id: string;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  readonly timestamp: number;
  readonly body: Buffer | string;
}

function assertTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`timestamp must be whole unix seconds, got ${timestamp}`);
  }
}

function standardWebhookContent(input: StandardWebhookSignInput): [string, Buffer | string] {
  assertTimestamp(input.timestamp);
  return [`${input.id}.${input.timestamp}.`, input.body];
}

/** The `v1,<base64>` entry of `webhook-signature` for a `whsec_` (or bare base64) secret. */
export function signStandardWebhook(input: StandardWebhookSignInput & { readonly secret: string }): string {
  const key = standardWebhookKey(input.secret);
  if (key.kind !== "hmac") {
    throw new TypeError("signStandardWebhook needs a whsec_ secret (base64 after the prefix)");
  }
  return `v1,${computeHmac("sha256", key.key, standardWebhookContent(input)).toString("base64")}`;
}

/** The `v1a,<base64>` entry of `webhook-signature`, signed with an ed25519 private key. */
export function signStandardWebhookAsymmetric(
  input: StandardWebhookSignInput & { readonly privateKey: KeyObject },
): string {
  if (input.privateKey.type !== "private" || input.privateKey.asymmetricKeyType !== "ed25519") {
    throw new TypeError("signStandardWebhookAsymmetric needs an ed25519 private key");
  }
  const [prefix, body] = standardWebhookContent(input);
  const message = Buffer.concat([
    Buffer.from(prefix, "utf8"),
    typeof body === "string" ? Buffer.from(body) : body,
  ]);
  return `v1a,${signMessage(null, message, input.privateKey).toString("base64")}`;
}

/** The `whpk_<base64 raw key>` form of an ed25519 public key, as configured on a source. */
export function formatStandardWebhookPublicKey(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== "ed25519") {
    throw new TypeError("formatStandardWebhookPublicKey needs an ed25519 key");
  }
  const { x } = publicKey.export({ format: "jwk" });
  if (x === undefined) {
    throw new TypeError("the ed25519 key has no public part");
  }
  return `${PUBLIC_KEY_PREFIX}${Buffer.from(x, "base64url").toString("base64")}`;
}

/** The whole `Stripe-Signature` value: `t=<timestamp>,v1=<hex>`. */
export function signStripe(input: {
  readonly timestamp: number;
  readonly body: Buffer | string;
  readonly secret: string;
}): string {
  assertTimestamp(input.timestamp);
  const key = utf8HmacKey(input.secret);
  if (key === undefined) {
    throw new TypeError("signStripe needs a non-empty secret");
  }
  const digest = computeHmac("sha256", key, [`${input.timestamp}.`, input.body]);
  return `t=${input.timestamp},v1=${digest.toString("hex")}`;
}

/** The whole `X-Hub-Signature-256` value: `sha256=<hex>`. */
export function signGithub(input: { readonly body: Buffer | string; readonly secret: string }): string {
  const key = utf8HmacKey(input.secret);
  if (key === undefined) {
    throw new TypeError("signGithub needs a non-empty secret");
  }
  return `sha256=${computeHmac("sha256", key, [input.body]).toString("hex")}`;
}
