import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { basicVerifier } from "../../../../shared/verify/providers/basic.js";
import {
  base,
  describeMutationProperties,
  hex,
  setHeader,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, flipBit, requestOf } from "../support/verify-test-kit.js";

const SECRET = "hooks:correct horse battery staple";
const OTHER_SECRET = "hooks:correct horse battery stapler";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({ type: "order.paid" });

/** The header a client sends, written out by hand (RFC 7617). */
function basic(credentials: string | Buffer, scheme = "Basic"): string {
  return `${scheme} ${Buffer.from(credentials).toString("base64")}`;
}

function verify(authorization: string | undefined, secrets: readonly string[] = [SECRET]) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  return basicVerifier.verify(requestOf(headers, BODY), contextOf(secrets, NOW));
}

function reasonOf(authorization: string | undefined, secrets: readonly string[] = [SECRET]) {
  return failureOf(() => verify(authorization, secrets)).reason;
}

describe("basicVerifier.verify", () => {
  it("accepts the configured user:password, the scheme in any case", () => {
    expect(verify(basic(SECRET))).toEqual({ secretIndex: 0 });
    expect(verify(basic(SECRET, "basic"))).toEqual({ secretIndex: 0 });
    expect(verify(basic("user:pa:ss"), ["user:pa:ss"])).toEqual({ secretIndex: 0 });
    expect(verify(basic("user:"), ["user:"])).toEqual({ secretIndex: 0 });
  });

  it("rejects another user, another password, or a secret that differs", () => {
    for (const credentials of [
      OTHER_SECRET,
      "Hooks:correct horse battery staple",
      "hooks:",
      "hooks",
      SECRET.slice(0, -1),
    ]) {
      expect(reasonOf(basic(credentials))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    }
    expect(reasonOf(basic(SECRET), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("compares the exact decoded bytes, not a UTF-8 reading of them", () => {
    const latin1 = Buffer.from("hooks:p\xe4ss", "latin1");
    expect(reasonOf(basic(latin1), ["hooks:päss"])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(verify(basic(Buffer.from("hooks:päss", "utf8")), ["hooks:päss"])).toEqual({ secretIndex: 0 });
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(basic(SECRET), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports a missing, malformed or repeated header", () => {
    expect(reasonOf(undefined)).toBe(SIGNATURE_FAILURES.missingHeader);
    const encoded = Buffer.from(SECRET).toString("base64");
    for (const bad of [
      encoded,
      `Bearer ${encoded}`,
      "Basic",
      "Basic ",
      `Basic ${encoded.replace(/=+$/, "")}x`,
      "Basic !!!!",
    ]) {
      expect(reasonOf(bad)).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    expect(reasonOf(`${basic(SECRET)}, ${basic(SECRET)}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
    // As API Gateway v2 joins two Authorization headers: with "," and no space.
    expect(reasonOf(`${basic(SECRET)},${basic(SECRET)}`)).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("treats secrets that are not user:password as unusable", () => {
    expect(reasonOf(basic("password"), ["password", "", ":nouser"])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(basic(SECRET), ["password", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("basicVerifier.identify", () => {
  const identify = (json: unknown) => basicVerifier.identify(requestOf({}, ""), () => json);

  it("has no delivery id (the body's hash dedupes) and takes the body's type, else 'webhook'", () => {
    expect(identify(JSON.parse(BODY))).toEqual({ eventType: "order.paid" });
    expect(identify("text")).toEqual({ eventType: "webhook" });
  });

  it("keeps body hashes for one day", () => {
    expect(basicVerifier.provider).toBe("basic");
    expect(basicVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

describeMutationProperties({
  name: "basic",
  verifier: basicVerifier,
  secretOf: (seed) => `u${hex(seed.slice(0, 4))}:${hex(seed)}`,
  sign: (d, secret) => base({ authorization: `Basic ${Buffer.from(secret).toString("base64")}` }, d.body),
  tamperSecret: tamperUtf8,
  mutations: [
    setHeader("authorization", (old, c) => {
      const credentials = Buffer.from(old.slice("Basic ".length), "base64");
      return `Basic ${flipBit(credentials, c.position, c.bit).toString("base64")}`;
    }),
  ],
  headerNames: ["authorization"],
});
