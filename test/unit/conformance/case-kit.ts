import { createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ConformanceRequest } from "./contract.js";

/**
 * What the case files share: the providers' published vectors (`test/fixtures/signature-vectors.json`),
 * the URLs requests are sent to, and small independent signers on `node:crypto` alone (they share no
 * code with `shared/verify`).
 */

export interface Vector {
  readonly name: string;
  readonly provider?: string;
  readonly secret?: string;
  /** The public URL the vector was signed for (schemes that sign it). */
  readonly url?: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const vectors = JSON.parse(readFileSync("test/fixtures/signature-vectors.json", "utf8")) as {
  vectors: Vector[];
};

/** The published vector named `name`. */
export const vector = (name: string): Vector => {
  const found = vectors.vectors.find((v) => v.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found;
};

export const BASE_URL = "https://hooks.example.test/webhooks";
export const URL = `${BASE_URL}/src`;

/** An HMAC of the parts, in order, keyed by the secret's UTF-8 bytes. */
export function mac(algorithm: "sha1" | "sha256", secret: string, ...parts: string[]): Buffer {
  const hmac = createHmac(algorithm, Buffer.from(secret, "utf8"));
  for (const part of parts) hmac.update(part, "utf8");
  return hmac.digest();
}

/** Hex HMAC-SHA256 of `content`. */
export const hmacHex = (key: string | Buffer, content: string) =>
  createHmac("sha256", key).update(content).digest("hex");

/** A POST of `body` to `url` with `headers`. */
export function request(headers: Record<string, string>, body: string, url = URL): ConformanceRequest {
  return { headers, body: Buffer.from(body, "utf8"), url, method: "POST" };
}

export const ec256 = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
export const rsa2048 = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
