import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../shared/domain/errors.js";
import { PROVIDERS, type ProviderName } from "../../../shared/verify/catalog.js";
import { verifierFor } from "../../../shared/verify/registry.js";
import type { InboundRequest, SyncProviderVerifier } from "../../../shared/verify/types.js";
import fixture from "../../fixtures/signature-vectors.json" with { type: "json" };
import {
  contextOf,
  failureOf,
  flipBit,
  requestOf,
  tamperEncoded,
  whsec,
  withoutHeader,
} from "./support/verify-test-kit.js";

/**
 * Published vectors (copied from the providers' docs and SDK tests into `test/fixtures`). Every vector
 * of an implemented provider must verify, and any one-byte change must not.
 */

interface SignatureVector {
  readonly name: string;
  readonly provider: string;
  readonly secret?: string;
  readonly publicKey?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The public URL the provider signed (Twilio, Square). */
  readonly url?: string;
  readonly note?: string;
}

/**
 * Providers with published vectors whose verifiers arrive in a later issue. They are filtered out by
 * this explicit list (not skipped), and a test below fails if any other vector would be left out.
 * Empty now: every vector in the fixture runs.
 */
const PENDING_PROVIDERS: readonly string[] = [];

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.values(value).every((entry) => typeof entry === "string")
  );
}

/** Checks the fixture's shape, so that an edited file fails here rather than deep inside a test. */
function parseVectors(json: unknown): readonly SignatureVector[] {
  const list =
    typeof json === "object" && json !== null ? (json as { vectors?: unknown }).vectors : undefined;
  if (!Array.isArray(list)) {
    throw new Error("signature-vectors.json has no 'vectors' array");
  }
  return list.map((entry: unknown, index) => {
    const vector = entry as Record<string, unknown>;
    const optional = (key: string) => (typeof vector[key] === "string" ? (vector[key] as string) : undefined);
    if (
      typeof vector.name !== "string" ||
      typeof vector.provider !== "string" ||
      typeof vector.body !== "string" ||
      !isStringRecord(vector.headers)
    ) {
      throw new Error(`signature-vectors.json: vector ${index} lacks name, provider, body or headers`);
    }
    return {
      name: vector.name,
      provider: vector.provider,
      headers: vector.headers,
      body: vector.body,
      secret: optional("secret"),
      publicKey: optional("publicKey"),
      url: optional("url"),
      note: optional("note"),
    };
  });
}

const vectors = parseVectors(fixture);

function isImplemented(provider: string): provider is ProviderName {
  return (PROVIDERS as readonly string[]).includes(provider) && !PENDING_PROVIDERS.includes(provider);
}

const implemented = vectors.flatMap((vector) =>
  isImplemented(vector.provider) ? [{ ...vector, provider: vector.provider }] : [],
);

/** The clock a vector's note asks for ("clock fixed at N"), or any fixed time when nothing is signed. */
function clockOf(vector: SignatureVector): number {
  const fixed = /clock fixed at (\d+)/.exec(vector.note ?? "")?.[1];
  return fixed === undefined ? 1_700_000_000 : Number(fixed);
}

function secretOf(vector: SignatureVector): string {
  const secret = vector.secret ?? vector.publicKey;
  if (secret === undefined) {
    throw new Error(`vector ${vector.name} has no secret`);
  }
  return secret;
}

/** The header carrying the signature, and where the encoded signature starts in its value. */
function signatureHeaderOf(vector: SignatureVector): {
  name: string;
  prefix: string;
  encoding: "hex" | "base64";
} {
  if (vector.headers["webhook-signature"] !== undefined) {
    const value = vector.headers["webhook-signature"];
    return { name: "webhook-signature", prefix: value.slice(0, value.indexOf(",") + 1), encoding: "base64" };
  }
  const single = {
    "x-hub-signature-256": { prefix: "sha256=", encoding: "hex" },
    "x-slack-signature": { prefix: "v0=", encoding: "hex" },
    "x-twilio-signature": { prefix: "", encoding: "base64" },
    "x-square-hmacsha256-signature": { prefix: "", encoding: "base64" },
  } as const;
  for (const [name, format] of Object.entries(single)) {
    if (vector.headers[name] !== undefined) {
      return { name, ...format };
    }
  }
  throw new Error(`vector ${vector.name}: unknown signature header`);
}

/** The header carrying a signed timestamp, if the scheme signs one. */
function timestampHeaderOf(vector: SignatureVector): string | undefined {
  return ["webhook-timestamp", "x-slack-request-timestamp"].find(
    (name) => vector.headers[name] !== undefined,
  );
}

/** Headers that only describe the body: removing them must not matter to verification. */
const DESCRIPTIVE_HEADERS = new Set(["content-type"]);

/** The vector as an inbound request (with its public URL), optionally with other headers or body. */
function requestFor(
  vector: SignatureVector,
  headers: Readonly<Record<string, string>> = vector.headers,
  body: Buffer | string = vector.body,
  url: string | undefined = vector.url,
): InboundRequest {
  return { ...requestOf({ ...headers }, body), ...(url === undefined ? {} : { url }), method: "POST" };
}

/** The same secret with one bit of its key material flipped. */
function tamperSecret(secret: string): string {
  if (secret.startsWith("whsec_")) {
    return whsec(flipBit(Buffer.from(secret.slice("whsec_".length), "base64")));
  }
  if (secret.startsWith("whpk_")) {
    return `whpk_${flipBit(Buffer.from(secret.slice("whpk_".length), "base64")).toString("base64")}`;
  }
  return flipBit(Buffer.from(secret, "utf8")).toString("utf8");
}

describe("published signature vectors", () => {
  it("leaves out only the vectors of providers pending a later issue", () => {
    const leftOut = vectors
      .filter((vector) => !isImplemented(vector.provider))
      .map((vector) => vector.provider);
    expect([...new Set(leftOut)].sort()).toEqual([...PENDING_PROVIDERS].sort());
    expect(leftOut).toEqual([]);
    expect(implemented.map((vector) => vector.name)).toEqual([
      "standard-webhooks-v1",
      "standard-webhooks-v1a",
      "github-docs",
      "slack-docs",
      "twilio-docs",
      "square-sdk",
    ]);
    expect(implemented).toHaveLength(vectors.length);
  });

  describe.each(implemented)("$name", (vector) => {
    // Every published vector is for a scheme with local keys, whose verifier answers synchronously.
    const verifier = verifierFor(vector.provider) as SyncProviderVerifier;
    const now = clockOf(vector);
    const secret = secretOf(vector);
    const signature = signatureHeaderOf(vector);
    const signatureValue = vector.headers[signature.name] ?? "";
    const timestampHeader = timestampHeaderOf(vector);
    const timestamp = timestampHeader === undefined ? undefined : vector.headers[timestampHeader];

    it("verifies with the first secret", () => {
      expect(verifier.verify(requestFor(vector), contextOf([secret], now))).toEqual({
        secretIndex: 0,
      });
    });

    it("does not verify once one byte of the body changes", () => {
      for (const position of [0, Math.floor(vector.body.length / 2), vector.body.length - 1]) {
        const body = flipBit(Buffer.from(vector.body), position);
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, vector.headers, body), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
      }
    });

    it("binds the public URL, when the scheme signs one", () => {
      if (vector.url === undefined) {
        // The URL is not signed: any URL verifies.
        const elsewhere = requestFor(vector, vector.headers, vector.body, "https://elsewhere.example/x");
        expect(verifier.verify(elsewhere, contextOf([secret], now)).secretIndex).toBe(0);
        return;
      }
      const url = vector.url;
      for (const changed of [`${url}x`, url.replace("https://", "http://"), url.slice(0, -1)]) {
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, vector.headers, vector.body, changed), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
      }
    });

    it("does not verify once one byte of the signature changes", () => {
      const encoded = signatureValue.slice(signature.prefix.length);
      for (const position of [0, 17, 31]) {
        const headers = {
          ...vector.headers,
          [signature.name]: `${signature.prefix}${tamperEncoded(encoded, signature.encoding, position)}`,
        };
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, headers), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
      }
    });

    it("does not verify with a secret that differs by one bit", () => {
      const failure = failureOf(() =>
        verifier.verify(requestFor(vector), contextOf([tamperSecret(secret)], now)),
      );
      // A flipped ed25519 public key may not even be a curve point: then the secret is unusable.
      expect([SIGNATURE_FAILURES.noMatchingSignature, SIGNATURE_FAILURES.unusableSecret]).toContain(
        failure.reason,
      );
    });

    it("reports which secret matched when several are configured", () => {
      const secrets = [tamperSecret(secret), secret];
      expect(verifier.verify(requestFor(vector), contextOf(secrets, now))).toEqual({
        secretIndex: 1,
      });
    });

    it("accepts the signature among several in one header", () => {
      if (signature.name === "webhook-signature") {
        const other = `${signature.prefix}${tamperEncoded(signatureValue.slice(signature.prefix.length), "base64")}`;
        const headers = { ...vector.headers, [signature.name]: `v2,future ${other} ${signatureValue}` };
        expect(verifier.verify(requestFor(vector, headers), contextOf([secret], now)).secretIndex).toBe(0);
      } else {
        // GitHub, Slack, Twilio and Square send exactly one signature; two values can only be a
        // repeated header.
        const headers = { ...vector.headers, [signature.name]: `${signatureValue}, ${signatureValue}` };
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, headers), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.duplicateHeader);
      }
    });

    it("rejects a missing header", () => {
      for (const name of Object.keys(vector.headers).filter((header) => !DESCRIPTIVE_HEADERS.has(header))) {
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, withoutHeader(vector.headers, name)), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
        expect(failure.logDetail).toContain(name);
      }
    });

    it("rejects a malformed signature header", () => {
      // An empty value is an absent header (checked above), so a bare prefix is only tried when there is one.
      const values = [`${signature.prefix}%%%`, `x${signatureValue}`, "garbage"];
      for (const value of signature.prefix === "" ? values : [signature.prefix, ...values]) {
        const headers = { ...vector.headers, [signature.name]: value };
        const failure = failureOf(() =>
          verifier.verify(requestFor(vector, headers), contextOf([secret], now)),
        );
        expect(failure.reason).toBe(SIGNATURE_FAILURES.malformedHeader);
      }
    });

    it("checks the signed timestamp in both directions, when one is signed", () => {
      if (timestamp === undefined) {
        // GitHub, Twilio and Square sign no timestamp: any clock verifies; dedupe stops replays.
        expect(verifier.verify(requestFor(vector), contextOf([secret], 0)).secretIndex).toBe(0);
        return;
      }
      const signedAt = Number(timestamp);
      for (const clock of [signedAt + 300, signedAt - 300]) {
        expect(verifier.verify(requestFor(vector), contextOf([secret], clock)).secretIndex).toBe(0);
      }
      for (const clock of [signedAt + 301, signedAt - 301]) {
        const failure = failureOf(() => verifier.verify(requestFor(vector), contextOf([secret], clock)));
        expect(failure.reason).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
      }
    });
  });
});
