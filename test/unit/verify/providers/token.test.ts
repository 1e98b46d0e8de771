import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import type { TokenOptions } from "../../../../shared/verify/catalog.js";
import { tokenVerifier } from "../../../../shared/verify/providers/token.js";
import {
  base,
  describeMutationProperties,
  flipChar,
  hex,
  setHeader,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, requestOf } from "../support/verify-test-kit.js";

const TOKEN = "tok_9f86d081884c7d659a2feaa0c55ad015";
const OTHER_TOKEN = "tok_9f86d081884c7d659a2feaa0c55ad016";
const NOW = 1_700_000_000;
const BODY = JSON.stringify({ type: "build.finished", id: 7 });

function verify(
  headers: Record<string, string>,
  secrets: readonly string[] = [TOKEN],
  options?: TokenOptions,
) {
  return tokenVerifier.verify(requestOf(headers, BODY), { ...contextOf(secrets, NOW), options });
}

function reasonOf(
  headers: Record<string, string>,
  secrets: readonly string[] = [TOKEN],
  options?: TokenOptions,
) {
  return failureOf(() => verify(headers, secrets, options)).reason;
}

describe("tokenVerifier.verify", () => {
  it("accepts the configured token as a Bearer credential, the scheme in any case", () => {
    expect(verify({ authorization: `Bearer ${TOKEN}` })).toEqual({ secretIndex: 0 });
    expect(verify({ authorization: `bearer ${TOKEN}` })).toEqual({ secretIndex: 0 });
    expect(verify({ authorization: `BEARER   ${TOKEN}` })).toEqual({ secretIndex: 0 });
  });

  it("rejects any other token: changed, truncated, extended or empty-padded", () => {
    for (const token of [OTHER_TOKEN, TOKEN.slice(0, -1), `${TOKEN}0`, `${TOKEN} `, TOKEN.toUpperCase()]) {
      expect(reasonOf({ authorization: `Bearer ${token}` })).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    }
    expect(reasonOf({ authorization: `Bearer ${TOKEN}` }, [OTHER_TOKEN])).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("returns the index of the rotated token that matched", () => {
    expect(verify({ authorization: `Bearer ${TOKEN}` }, [OTHER_TOKEN, TOKEN])).toEqual({ secretIndex: 1 });
  });

  it("reads another header and scheme, or the bare header value, when configured", () => {
    expect(verify({ "x-api-key": TOKEN }, [TOKEN], { header: "X-Api-Key", scheme: "" })).toEqual({
      secretIndex: 0,
    });
    expect(
      verify({ "x-hook-auth": `Token ${TOKEN}` }, [TOKEN], { header: "x-hook-auth", scheme: "Token" }),
    ).toEqual({
      secretIndex: 0,
    });
    expect(reasonOf({ "x-api-key": `Bearer ${TOKEN}` }, [TOKEN], { header: "x-api-key", scheme: "" })).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf({ authorization: `Bearer ${TOKEN}` }, [TOKEN], { header: "x-api-key" })).toBe(
      SIGNATURE_FAILURES.missingHeader,
    );
  });

  it("reports a missing, malformed or repeated header", () => {
    expect(reasonOf({})).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(reasonOf({ authorization: "" })).toBe(SIGNATURE_FAILURES.missingHeader);
    for (const bad of [TOKEN, `Basic ${TOKEN}`, "Bearer", "Bearer ", `Bearer${TOKEN}`]) {
      expect(reasonOf({ authorization: bad })).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    expect(reasonOf({ authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` })).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("refuses a header API Gateway joined from two (values separated by ',')", () => {
    // A valid token followed by a second Authorization header, as API Gateway v2 hands it over.
    expect(reasonOf({ authorization: `Bearer ${TOKEN},Bearer junk` })).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
    expect(reasonOf({ authorization: `Bearer ${TOKEN},junk` })).toBe(SIGNATURE_FAILURES.duplicateHeader);
    // Two header lines that only together spell a configured value are still two headers.
    expect(
      reasonOf({ "x-api-key": "part-1,part-2" }, ["part-1,part-2"], { header: "x-api-key", scheme: "" }),
    ).toBe(SIGNATURE_FAILURES.duplicateHeader);
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf({ authorization: `Bearer ${TOKEN}` }, [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf({ authorization: `Bearer ${TOKEN}` }, [])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify({ authorization: `Bearer ${TOKEN}` }, ["", TOKEN])).toEqual({ secretIndex: 1 });
  });
});

describe("tokenVerifier.identify", () => {
  const identify = (json: unknown) => tokenVerifier.identify(requestOf({}, ""), () => json);

  it("has no delivery id (the body's hash dedupes) and takes the body's type, else 'webhook'", () => {
    expect(identify(JSON.parse(BODY))).toEqual({ eventType: "build.finished" });
    for (const json of [undefined, null, [], { type: 1 }]) {
      expect(identify(json)).toEqual({ eventType: "webhook" });
    }
  });

  it("keeps body hashes for one day", () => {
    expect(tokenVerifier.provider).toBe("token");
    expect(tokenVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

describeMutationProperties({
  name: "token (Bearer)",
  verifier: tokenVerifier,
  secretOf: hex,
  sign: (d, secret) => base({ authorization: `Bearer ${secret}` }, d.body),
  tamperSecret: tamperUtf8,
  mutations: [setHeader("authorization", (old, c) => `Bearer ${flipChar(old.slice("Bearer ".length), c)}`)],
  headerNames: ["authorization"],
});
