import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { SignatureVerificationError } from "../../../../shared/domain/errors.js";
import type { SignatureEncoding } from "../../../../shared/verify/schemes/signature-encoding.js";
import type { InboundRequest, VerifyContext } from "../../../../shared/verify/types.js";

/** Test helpers shared by the verifier tests: building requests and observing failures. */

export function requestOf(headers: Record<string, string>, body: Buffer | string): InboundRequest {
  return { headers, rawBody: typeof body === "string" ? Buffer.from(body, "utf8") : body };
}

export function contextOf(
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = 300,
): VerifyContext {
  return { secrets, nowSeconds, toleranceSeconds };
}

/**
 * Runs `action` and returns the `SignatureVerificationError` it threw. Anything else it throws is
 * rethrown, and returning normally fails the test: the verifier accepted what it should not have.
 */
export function failureOf(action: () => unknown): SignatureVerificationError {
  try {
    action();
  } catch (error) {
    if (error instanceof SignatureVerificationError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected a SignatureVerificationError, but verification succeeded");
}

/** A copy of `bytes` with one bit flipped (`position` wraps around). */
export function flipBit(bytes: Buffer, position = 0, bit = 0): Buffer {
  const copy = Buffer.from(bytes);
  const index = position % copy.length;
  copy[index] = (copy[index] ?? 0) ^ (1 << (bit % 8));
  return copy;
}

/** The same encoded signature with one bit of its decoded bytes flipped, re-encoded canonically. */
export function tamperEncoded(encoded: string, encoding: SignatureEncoding, position = 0, bit = 0): string {
  return flipBit(Buffer.from(encoded, encoding), position, bit).toString(encoding);
}

/** `headers` without `name`. */
export function withoutHeader(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
}

/** A `whsec_` secret made of the given key bytes. */
export function whsec(key: Buffer): string {
  return `whsec_${key.toString("base64")}`;
}

/** DER prefix of an ed25519 PKCS#8 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** A deterministic ed25519 key pair from a 32-byte seed (so property tests can shrink it). */
export function ed25519KeyPair(seed: Uint8Array): { privateKey: KeyObject; publicKey: KeyObject } {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
