import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { githubVerifier } from "../../../../shared/verify/providers/github.js";
import { signGithub } from "../../../../shared/verify/sign.js";
import { describeSeededKeyProperties, tamperPrefixed, tamperUtf8 } from "../support/seeded-key-properties.js";
import { contextOf, failureOf, flipBit, requestOf, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "gh-webhook-secret";
const OTHER_SECRET = "gh-webhook-secreT";
const BODY = '{"action":"opened","issue":{"number":1}}';
const SIGNATURE = signGithub({ body: BODY, secret: SECRET });
const NOW = 1_700_000_000;

function headersOf(signature: string): Record<string, string> {
  return {
    "x-hub-signature-256": signature,
    "x-github-event": "issues",
    "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  };
}

function verify(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return githubVerifier.verify(requestOf(headers, body), contextOf(secrets, NOW));
}

function reasonOf(headers: Record<string, string>, secrets: readonly string[], body: Buffer | string = BODY) {
  return failureOf(() => verify(headers, secrets, body)).reason;
}

describe("signGithub", () => {
  it("writes sha256= and the hex HMAC-SHA256 of the body keyed by the secret's UTF-8 bytes", () => {
    expect(SIGNATURE).toBe(`sha256=${createHmac("sha256", SECRET).update(BODY).digest("hex")}`);
  });

  it("throws a TypeError for an empty secret", () => {
    expect(() => signGithub({ body: BODY, secret: "" })).toThrow(TypeError);
  });
});

describe("githubVerifier.verify", () => {
  it("accepts the signature over the exact bytes, whatever the clock says", () => {
    expect(verify(headersOf(SIGNATURE), [SECRET])).toEqual({ secretIndex: 0 });
    expect(githubVerifier.verify(requestOf(headersOf(SIGNATURE), BODY), contextOf([SECRET], 0))).toEqual({
      secretIndex: 0,
    });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    expect(reasonOf(headersOf(SIGNATURE), [SECRET], flipBit(Buffer.from(BODY), 3))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const tampered = `sha256=${tamperEncoded(SIGNATURE.slice(7), "hex", 31, 7)}`;
    expect(reasonOf(headersOf(tampered), [SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(headersOf(SIGNATURE), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersOf(SIGNATURE), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("requires the SHA-256 header and does not accept the legacy SHA-1 one", () => {
    const sha1 = `sha1=${createHmac("sha1", SECRET).update(BODY).digest("hex")}`;
    const failure = failureOf(() =>
      verify({ "x-hub-signature": sha1, "x-github-event": "issues" }, [SECRET]),
    );
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("SHA-1");
    expect(reasonOf(headersOf(sha1), [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
  });

  it("rejects malformed signature values", () => {
    const hex = SIGNATURE.slice(7);
    for (const value of [
      "sha256=",
      "sha256",
      `sha256:${hex}`,
      `sha256=${hex.toUpperCase()}`,
      `sha256=${hex}0`,
    ]) {
      expect(reasonOf(headersOf(value), [SECRET])).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    expect(reasonOf(headersOf(`sha256=${hex.slice(0, 62)}`), [SECRET])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("reports a repeated signature header as a duplicate", () => {
    expect(reasonOf(headersOf(`${SIGNATURE}, ${SIGNATURE}`), [SECRET])).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(headersOf(SIGNATURE), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf(headersOf(SIGNATURE), [])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(headersOf(SIGNATURE), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("githubVerifier.identify", () => {
  it("joins the event header and the body's action", () => {
    expect(githubVerifier.identify(requestOf(headersOf(SIGNATURE), BODY), () => JSON.parse(BODY))).toEqual({
      deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
      deliveryIdSigned: false,
      eventType: "issues.opened",
    });
  });

  it("uses the event header alone when there is no string action", () => {
    for (const json of [{ zen: "Design for failure." }, { action: 3 }, undefined, "text"]) {
      expect(githubVerifier.identify(requestOf({ "x-github-event": "ping" }, "x"), () => json)).toEqual({
        eventType: "ping",
      });
    }
  });

  it("falls back to 'github' without an event header", () => {
    expect(githubVerifier.identify(requestOf({}, BODY), () => JSON.parse(BODY))).toEqual({
      eventType: "github",
    });
  });

  it("keeps delivery ids for four days, a day past the manual redelivery limit", () => {
    expect(githubVerifier.provider).toBe("github");
    expect(githubVerifier.retryHorizonSeconds).toBe(4 * 86_400);
  });
});

// Properties on generated requests (see support/seeded-key-properties.ts).

describeSeededKeyProperties({
  name: "github",
  verifier: githubVerifier,
  keyOf(seed) {
    const secret = Buffer.from(seed).toString("hex");
    return { secret, sign: (m) => ({ "x-hub-signature-256": signGithub({ body: m.body, secret }) }) };
  },
  tamperSecret: tamperUtf8,
  tamperSignature: (headers, position, bit) => ({
    "x-hub-signature-256": tamperPrefixed(headers["x-hub-signature-256"] ?? "", "=", "hex", position, bit),
  }),
  headerNames: ["x-hub-signature-256", "x-hub-signature", "x-github-event"],
});
