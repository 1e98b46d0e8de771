import { createPrivateKey, type KeyObject } from "node:crypto";
import { signStandardWebhook, signStandardWebhookAsymmetric } from "../../verify/sign.js";

/** `whsk_` + base64 of a 32-byte ed25519 seed: the private half of a `whpk_` public key. */
export const SIGNING_KEY_PREFIX = "whsk_";
/** PKCS#8 DER header of an ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const keys = new Map<string, KeyObject>();

function ed25519Key(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    const seed = Buffer.from(secret.slice(SIGNING_KEY_PREFIX.length), "base64");
    if (seed.length !== 32)
      throw new TypeError("a whsk_ signing key must be base64 of a 32-byte ed25519 seed");
    key = createPrivateKey({
      key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
      format: "der",
      type: "pkcs8",
    });
    keys.set(secret, key);
  }
  return key;
}

/**
 * The `webhook-signature` header for an outbound delivery: one Standard Webhooks signature per
 * configured key, space-separated — `v1,<HMAC>` for `whsec_` secrets and `v1a,<ed25519>` for `whsk_`
 * keys — so during a rotation receivers holding either the old or the new key can verify.
 */
export function outboundSignatureHeader(
  secrets: readonly string[],
  input: { readonly id: string; readonly timestamp: number; readonly body: string },
): string {
  return secrets
    .map((secret) =>
      secret.startsWith(SIGNING_KEY_PREFIX)
        ? signStandardWebhookAsymmetric({ ...input, privateKey: ed25519Key(secret) })
        : signStandardWebhook({ ...input, secret }),
    )
    .join(" ");
}
