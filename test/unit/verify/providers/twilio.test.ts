import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { twilioVerifier } from "../../../../shared/verify/providers/twilio.js";
import type { InboundRequest } from "../../../../shared/verify/types.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
} from "../support/signed-request-properties.js";
import { contextOf, failureOf, flipBit, tamperEncoded } from "../support/verify-test-kit.js";

const SECRET = "12345";
const OTHER_SECRET = "12346";
const NOW = 1_700_000_000;
const URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const PARAMS: readonly (readonly [string, string])[] = [
  ["CallSid", "CA1234567890ABCDE"],
  ["Caller", "+14158675309"],
  ["Digits", "1234"],
  ["From", "+14158675309"],
  ["To", "+18005551212"],
];
/** Twilio's documented example (helper-library docs): this URL, these parameters, auth token 12345. */
const DOCS_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

/**
 * Independent of the verifier: base64 HMAC-SHA1 of the URL followed by the parameters sorted by name,
 * each name + value; a repeated name contributes its distinct values in sorted order.
 */
function twilioSignature(
  url: string,
  params: readonly (readonly [string, string])[],
  secret = SECRET,
): string {
  const names = [...new Set(params.map(([name]) => name))].sort();
  let data = url;
  for (const name of names) {
    const values = [...new Set(params.filter(([n]) => n === name).map(([, v]) => v))].sort();
    for (const value of values) {
      data += name + value;
    }
  }
  return createHmac("sha1", secret).update(data, "utf8").digest("base64");
}

function formOf(params: readonly (readonly [string, string])[]): string {
  return params.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&");
}

const FORM = formOf(PARAMS);

function requestOf(
  signature: string,
  body: Buffer | string = FORM,
  url: string | null = URL,
): InboundRequest {
  return {
    headers: {
      "x-twilio-signature": signature,
      "content-type": "application/x-www-form-urlencoded",
      "i-twilio-idempotency-token": "2b5e0f5d-8c1e-4a55-9a5a-6f6a2c1c2a11",
    },
    rawBody: typeof body === "string" ? Buffer.from(body) : body,
    ...(url === null ? {} : { url }),
    method: "POST",
  };
}

function verify(request: InboundRequest, secrets: readonly string[] = [SECRET], options?: unknown) {
  return twilioVerifier.verify(request, { ...contextOf(secrets, NOW), options });
}

function reasonOf(request: InboundRequest, secrets: readonly string[] = [SECRET], options?: unknown) {
  return failureOf(() => verify(request, secrets, options)).reason;
}

describe("twilioVerifier.verify, form bodies", () => {
  it("accepts Twilio's documented example, which the independent signer reproduces", () => {
    expect(twilioSignature(URL, PARAMS)).toBe(DOCS_SIGNATURE);
    expect(verify(requestOf(DOCS_SIGNATURE))).toEqual({ secretIndex: 0 });
  });

  it("signs the decoded parameters in name order, whatever order and encoding the body uses", () => {
    const reordered =
      "To=%2B18005551212&Digits=1234&CallSid=CA1234567890ABCDE&Caller=%2b14158675309&From=%2B14158675309";
    expect(verify(requestOf(DOCS_SIGNATURE, reordered))).toEqual({ secretIndex: 0 });
  });

  it("rejects a changed parameter, name, URL, signature or secret", () => {
    for (const body of [
      FORM.replace("Digits=1234", "Digits=1235"),
      FORM.replace("Digits=", "Digitz="),
      `${FORM}&Extra=1`,
      FORM.replace("&To=%2B18005551212", ""),
      flipBit(Buffer.from(FORM), FORM.indexOf("%2B") + 1),
    ]) {
      expect(reasonOf(requestOf(DOCS_SIGNATURE, body))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    }
    for (const url of [
      "https://mycompany.com/myapp.php?foo=1&bar=3",
      "https://mycompany.com/myapp.php",
      "http://mycompany.com/myapp.php?foo=1&bar=2",
    ]) {
      expect(reasonOf(requestOf(DOCS_SIGNATURE, FORM, url))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    }
    expect(reasonOf(requestOf(tamperEncoded(DOCS_SIGNATURE, "base64", 7)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(DOCS_SIGNATURE), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("signs a repeated parameter's distinct values in sorted order, as Twilio's helpers do", () => {
    const params: [string, string][] = [
      ["To", "b"],
      ["From", "x"],
      ["To", "a"],
      ["To", "b"],
    ];
    const signature = twilioSignature(URL, params);
    expect(verify(requestOf(signature, formOf(params)))).toEqual({ secretIndex: 0 });
    const inOrder = createHmac("sha1", SECRET).update(`${URL}FromxTobToaTob`).digest("base64");
    expect(reasonOf(requestOf(inOrder, formOf(params)))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(requestOf(DOCS_SIGNATURE), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("uses options.publicUrl instead of the request's URL when it is set", () => {
    const internal = "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/twilio";
    expect(verify(requestOf(DOCS_SIGNATURE, FORM, internal), [SECRET], { publicUrl: URL })).toEqual({
      secretIndex: 0,
    });
    expect(reasonOf(requestOf(DOCS_SIGNATURE, FORM, internal))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(requestOf(DOCS_SIGNATURE, FORM, URL), [SECRET], { publicUrl: internal })).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("accepts the URL with or without the default port, and nothing else", () => {
    const withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    expect(verify(requestOf(twilioSignature(withPort, PARAMS)))).toEqual({ secretIndex: 0 });
    expect(verify(requestOf(DOCS_SIGNATURE, FORM, withPort))).toEqual({ secretIndex: 0 });
    const http = "http://mycompany.com/hook";
    expect(verify(requestOf(twilioSignature("http://mycompany.com:80/hook", PARAMS), FORM, http))).toEqual({
      secretIndex: 0,
    });
    const otherPort = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
    expect(reasonOf(requestOf(twilioSignature(otherPort, PARAMS)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(DOCS_SIGNATURE, FORM, otherPort))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    const ipv6 = "https://[2001:db8::1]/hook";
    expect(verify(requestOf(twilioSignature("https://[2001:db8::1]:443/hook", PARAMS), FORM, ipv6))).toEqual({
      secretIndex: 0,
    });
  });

  it("rejects a request without a URL to check and no publicUrl", () => {
    const failure = failureOf(() => verify(requestOf(DOCS_SIGNATURE, FORM, null)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(failure.logDetail).toContain("publicUrl");
  });
});

describe("twilioVerifier.verify, JSON bodies (bodySHA256)", () => {
  const body = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
  const hash = createHash("sha256").update(body).digest("hex");
  const url = `https://example.com/myapp?bodySHA256=${hash}`;
  const signature = createHmac("sha1", SECRET).update(url).digest("base64");

  it("accepts a body whose SHA-256 is the signed URL's bodySHA256", () => {
    expect(verify(requestOf(signature, body, url))).toEqual({ secretIndex: 0 });
  });

  it("rejects a changed body, even though the URL's signature still verifies", () => {
    const failure = failureOf(() => verify(requestOf(signature, flipBit(Buffer.from(body), 5), url)));
    expect(failure.reason).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(failure.logDetail).toContain("bodySHA256");
  });

  it("rejects a bodySHA256 changed to fit another body, or written in upper case", () => {
    const other = '{"CallSid":"CA0000000000ABCDE"}';
    const forged = `https://example.com/myapp?bodySHA256=${createHash("sha256").update(other).digest("hex")}`;
    expect(reasonOf(requestOf(signature, other, forged))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    const upper = `https://example.com/myapp?bodySHA256=${hash.toUpperCase()}`;
    const upperSigned = createHmac("sha1", SECRET).update(upper).digest("base64");
    expect(reasonOf(requestOf(upperSigned, body, upper))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("appends the request's bodySHA256 to options.publicUrl", () => {
    const received = `https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/twilio?bodySHA256=${hash}`;
    expect(
      verify(requestOf(signature, body, received), [SECRET], { publicUrl: "https://example.com/myapp" }),
    ).toEqual({
      secretIndex: 0,
    });
    const withQuery = `https://example.com/myapp?src=1&bodySHA256=${hash}`;
    const signedWithQuery = createHmac("sha1", SECRET).update(withQuery).digest("base64");
    expect(
      verify(requestOf(signedWithQuery, body, received), [SECRET], {
        publicUrl: "https://example.com/myapp?src=1",
      }),
    ).toEqual({ secretIndex: 0 });
  });
});

describe("twilioVerifier.verify, headers and secrets", () => {
  it("rejects a request without the signature header", () => {
    const request = requestOf(DOCS_SIGNATURE);
    const failure = failureOf(() =>
      verify({ ...request, headers: { "content-type": "application/x-www-form-urlencoded" } }),
    );
    expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(failure.logDetail).toContain("x-twilio-signature");
  });

  it("rejects signatures that are not canonical base64", () => {
    for (const value of [DOCS_SIGNATURE.slice(0, -1), "garbage", "%%%", `${DOCS_SIGNATURE}=`]) {
      expect(reasonOf(requestOf(value))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports a repeated signature header as a duplicate", () => {
    expect(reasonOf(requestOf(`${DOCS_SIGNATURE}, ${DOCS_SIGNATURE}`))).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(requestOf(DOCS_SIGNATURE), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(requestOf(DOCS_SIGNATURE), ["", SECRET])).toEqual({ secretIndex: 1 });
  });

  it("never throws anything but SignatureVerificationError on odd URLs and options", () => {
    for (const url of [
      "",
      "not a url",
      "https://",
      "https://:443",
      "https://h:/x",
      "mailto:x",
      "https://u:p@h/x?bodySHA256=",
    ]) {
      for (const options of [undefined, null, 1, { publicUrl: 7 }, { publicUrl: "" }]) {
        expect(
          failureOf(() => verify(requestOf(DOCS_SIGNATURE, FORM, url), [SECRET], options)).reason,
        ).toBeTypeOf("string");
      }
    }
  });
});

describe("twilioVerifier.identify", () => {
  const identify = (body: string, json: unknown = undefined) =>
    twilioVerifier.identify(requestOf(DOCS_SIGNATURE, body), () => json);

  it("reads the idempotency token and a message status", () => {
    expect(identify("MessageSid=SM1&MessageStatus=delivered&SmsStatus=delivered")).toEqual({
      deliveryId: "2b5e0f5d-8c1e-4a55-9a5a-6f6a2c1c2a11",
      deliveryIdSigned: false,
      eventType: "message.delivered",
      signedContent: JSON.stringify([
        "MessageSid",
        "SM1",
        "MessageStatus",
        "delivered",
        "SmsStatus",
        "delivered",
      ]),
    });
    expect(identify("SmsSid=SM1&SmsStatus=received").eventType).toBe("message.received");
  });

  it("reads a call status", () => {
    expect(identify("CallSid=CA1&CallStatus=completed").eventType).toBe("call.completed");
  });

  it("reads the same fields from a JSON body", () => {
    expect(identify("{}", { CallSid: "CA1", CallStatus: "ringing" }).eventType).toBe("call.ringing");
  });

  it("falls back to 'twilio' and no id", () => {
    expect(
      twilioVerifier.identify({ headers: {}, rawBody: Buffer.from(FORM) }, () => undefined),
    ).toMatchObject({
      eventType: "twilio",
    });
    expect(
      twilioVerifier.identify({ headers: {}, rawBody: Buffer.from(FORM) }, () => undefined).deliveryId,
    ).toBe(undefined);
  });

  it("names the sorted, decoded form parameters as the signed content, so reordering them changes nothing", () => {
    const ordered = twilioVerifier.identify(
      { headers: {}, rawBody: Buffer.from("b=2&a=1&a=0") },
      () => undefined,
    );
    const shuffled = twilioVerifier.identify(
      { headers: {}, rawBody: Buffer.from("a=0&b=%32&a=1") },
      () => undefined,
    );
    expect(ordered.signedContent).toBe(JSON.stringify(["a", "0", "a", "1", "b", "2"]));
    expect(shuffled.signedContent).toBe(ordered.signedContent);
  });

  it("names no canonical content for JSON bodies, whose exact bytes the signed bodySHA256 covers", () => {
    const identity = twilioVerifier.identify(
      { headers: {}, rawBody: Buffer.from("{}"), url: "https://h.test/cb?bodySHA256=ab" },
      () => ({}),
    );
    expect(identity.signedContent).toBeUndefined();
  });

  it("accepts form and JSON bodies and keeps ids for a day", () => {
    expect(twilioVerifier.provider).toBe("twilio");
    expect(twilioVerifier.contentTypes).toEqual(["application/x-www-form-urlencoded", "application/json"]);
    expect(twilioVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

/** Twilio's canonical parameter string: names sorted, each name's distinct values sorted. */
function twilioParams(params: readonly (readonly [string, string])[]): string {
  let data = "";
  for (const name of [...new Set(params.map(([n]) => n))].sort()) {
    for (const value of [...new Set(params.filter(([n]) => n === name).map(([, v]) => v))].sort()) {
      data += name + value;
    }
  }
  return data;
}

describeSignedRequestProperties({
  name: "twilio (form)",
  verifier: twilioVerifier,
  sign: (m, secret) => {
    const body = m.params.map(([name, value]) => `${name}=${value}`).join("&");
    return {
      headers: {
        "x-twilio-signature": hmac("sha1", secret, PROPERTY_URL, twilioParams(m.params)).toString("base64"),
      },
      body: Buffer.from(body),
      url: PROPERTY_URL,
    };
  },
  tamperSignature: tamperHeader("x-twilio-signature", "", "base64"),
  headerNames: ["x-twilio-signature", "i-twilio-idempotency-token"],
});

describeSignedRequestProperties({
  name: "twilio (JSON, bodySHA256)",
  verifier: twilioVerifier,
  sign: (m, secret) => {
    const url = `${PROPERTY_URL}&bodySHA256=${createHash("sha256").update(m.body).digest("hex")}`;
    return {
      headers: { "x-twilio-signature": hmac("sha1", secret, url).toString("base64") },
      body: m.body,
      url,
    };
  },
  tamperSignature: tamperHeader("x-twilio-signature", "", "base64"),
  headerNames: ["x-twilio-signature", "i-twilio-idempotency-token"],
});
