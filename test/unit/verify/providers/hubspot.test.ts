import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import type { PublicUrlOptions } from "../../../../shared/verify/catalog.js";
import { hubspotSignedUri, hubspotVerifier } from "../../../../shared/verify/providers/hubspot.js";
import type { InboundRequest } from "../../../../shared/verify/types.js";
import {
  base,
  describeMutationProperties,
  flipBody,
  hex,
  setHeader,
  tamperSignature,
  tamperUtf8,
} from "../support/mutation-properties.js";
import { contextOf, failureOf, flipBit, tamperEncoded, withoutHeader } from "../support/verify-test-kit.js";

const SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const OTHER_SECRET = "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz";
const NOW = 1_700_000_000;
const NOW_MS = NOW * 1000 + 123;
const URL = "https://hooks.example.test/webhooks/hubspot";
const BODY =
  '[{"eventId":100,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","appId":54321}]';

/** Written from HubSpot's docs, independently of the verifier: base64 HMAC-SHA256 of method+uri+body+timestamp. */
function handSigned(input: {
  method?: string;
  uri?: string;
  body?: string;
  timestamp?: number;
  secret?: string;
}) {
  const { method = "POST", uri = URL, body = BODY, timestamp = NOW_MS, secret = SECRET } = input;
  return createHmac("sha256", secret).update(`${method}${uri}${body}${timestamp}`, "utf8").digest("base64");
}

function headersFor(signature = handSigned({}), timestamp: number | string = NOW_MS): Record<string, string> {
  return {
    "x-hubspot-signature-v3": signature,
    "x-hubspot-request-timestamp": String(timestamp),
    "content-type": "application/json",
  };
}

/** `null` leaves the URL or method out of the request. */
function requestOf(
  headers: Record<string, string>,
  body: Buffer | string = BODY,
  url: string | null = URL,
  method: string | null = "POST",
): InboundRequest {
  return {
    headers,
    rawBody: typeof body === "string" ? Buffer.from(body) : body,
    ...(url === null ? {} : { url }),
    ...(method === null ? {} : { method }),
  };
}

function verify(
  request: InboundRequest,
  secrets: readonly string[] = [SECRET],
  now = NOW,
  options?: PublicUrlOptions,
) {
  return hubspotVerifier.verify(request, { ...contextOf(secrets, now), options });
}

function reasonOf(request: InboundRequest, secrets: readonly string[] = [SECRET], now = NOW) {
  return failureOf(() => verify(request, secrets, now)).reason;
}

describe("hubspotVerifier.verify", () => {
  it("accepts a request signed over method, URI, body and millisecond timestamp", () => {
    expect(verify(requestOf(headersFor()))).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, signature, secret, method or URL", () => {
    expect(reasonOf(requestOf(headersFor(), flipBit(Buffer.from(BODY), 20)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(headersFor(tamperEncoded(handSigned({}), "base64", 3))))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    expect(reasonOf(requestOf(headersFor()), [OTHER_SECRET])).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(requestOf(headersFor(), BODY, URL, "PUT"))).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(requestOf(headersFor(), BODY, `${URL}/other`))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("rejects a changed timestamp inside the window, since the timestamp is signed", () => {
    expect(reasonOf(requestOf(headersFor(handSigned({}), NOW_MS + 1)))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("bounds the millisecond timestamp in both directions, inclusive", () => {
    const at = (ms: number) => requestOf(headersFor(handSigned({ timestamp: ms }), ms));
    expect(verify(at((NOW - 300) * 1000)).secretIndex).toBe(0);
    expect(verify(at((NOW + 300) * 1000)).secretIndex).toBe(0);
    expect(reasonOf(at((NOW - 300) * 1000 - 1))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(at((NOW + 300) * 1000 + 1))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    // Seconds where milliseconds are expected are decades in the past.
    expect(reasonOf(at(NOW))).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("signs the URL with HubSpot's listed escapes decoded and every other escape kept", () => {
    const sent =
      "https://hooks.example.test/webhooks/hubspot?next=https%3A%2F%2Fx.test%2Fa%3Fb%40c%21%24%27%28%29%2A%2C%3B&q=a%20b%2Bc%26d%3De";
    const signed =
      "https://hooks.example.test/webhooks/hubspot?next=https://x.test/a?b@c!$'()*,;&q=a%20b%2Bc%26d%3De";
    expect(hubspotSignedUri(sent)).toBe(signed);
    const request = requestOf(headersFor(handSigned({ uri: signed })), BODY, sent);
    expect(verify(request)).toEqual({ secretIndex: 0 });
    expect(reasonOf(requestOf(headersFor(handSigned({ uri: sent })), BODY, sent))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
  });

  it("uses options.publicUrl instead of the rebuilt URL when set", () => {
    const publicUrl = "https://public.example.test/hs?a=%3A";
    const request = requestOf(
      headersFor(handSigned({ uri: "https://public.example.test/hs?a=:" })),
      BODY,
      URL,
    );
    expect(verify(request, [SECRET], NOW, { publicUrl })).toEqual({ secretIndex: 0 });
    expect(reasonOf(request)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("signs GET requests without a body, and assumes POST when the method is unknown", () => {
    const get = requestOf(headersFor(handSigned({ method: "GET", body: "" })), "", URL, "GET");
    expect(verify(get)).toEqual({ secretIndex: 0 });
    expect(verify(requestOf(headersFor(), BODY, URL, null))).toEqual({ secretIndex: 0 });
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(requestOf(headersFor()), [OTHER_SECRET, SECRET])).toEqual({ secretIndex: 1 });
  });

  it("reports a missing signature, timestamp or URL as a missing header", () => {
    for (const name of ["x-hubspot-signature-v3", "x-hubspot-request-timestamp"]) {
      expect(reasonOf(requestOf(withoutHeader(headersFor(), name)))).toBe(SIGNATURE_FAILURES.missingHeader);
    }
    expect(reasonOf(requestOf(headersFor(), BODY, null))).toBe(SIGNATURE_FAILURES.missingHeader);
    const legacy = failureOf(() =>
      verify(requestOf({ "x-hubspot-signature": "abc", "x-hubspot-request-timestamp": String(NOW_MS) })),
    );
    expect(legacy.reason).toBe(SIGNATURE_FAILURES.missingHeader);
    expect(legacy.logDetail).toContain("not accepted");
  });

  it("rejects malformed signatures and timestamps", () => {
    const signature = handSigned({});
    for (const bad of [signature.replace(/=$/, ""), `${signature}x`, `-${signature.slice(1)}`, "!!!"]) {
      expect(reasonOf(requestOf(headersFor(bad)))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
    for (const bad of [`${NOW_MS}.5`, `0${NOW_MS}`, "-1", "abc", ` ${NOW_MS}`, "1e12"]) {
      expect(reasonOf(requestOf(headersFor(signature, bad)))).toBe(SIGNATURE_FAILURES.malformedHeader);
    }
  });

  it("reports headers joined by the gateway as duplicates", () => {
    const signature = handSigned({});
    expect(reasonOf(requestOf(headersFor(`${signature}, ${signature}`)))).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
    expect(reasonOf(requestOf(headersFor(signature, `${NOW_MS}, ${NOW_MS}`)))).toBe(
      SIGNATURE_FAILURES.duplicateHeader,
    );
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(requestOf(headersFor()), [""])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf(requestOf(headersFor()), [])).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(requestOf(headersFor()), ["", SECRET])).toEqual({ secretIndex: 1 });
  });
});

describe("hubspotVerifier.identify", () => {
  const identify = (json: unknown) => hubspotVerifier.identify(requestOf({}), () => json);

  it("takes a single event's eventId and subscriptionType", () => {
    expect(identify(JSON.parse(BODY))).toEqual({
      deliveryId: "100",
      deliveryIdSigned: true,
      eventType: "contact.creation",
    });
  });

  it("joins a batch's sorted eventIds and keeps a shared subscriptionType", () => {
    const batch = [
      { eventId: 20, subscriptionType: "deal.creation" },
      { eventId: 3, subscriptionType: "deal.creation" },
      { eventId: 100, subscriptionType: "deal.creation" },
    ];
    expect(identify(batch)).toEqual({
      deliveryId: "3,20,100",
      deliveryIdSigned: true,
      eventType: "deal.creation",
    });
    expect(identify([...batch].reverse())).toEqual(identify(batch));
  });

  it("names a batch of mixed subscription types hubspot.batch", () => {
    const mixed = [
      { eventId: 1, subscriptionType: "contact.creation" },
      { eventId: 2, subscriptionType: "contact.deletion" },
    ];
    expect(identify(mixed)).toEqual({
      deliveryId: "1,2",
      deliveryIdSigned: true,
      eventType: "hubspot.batch",
    });
  });

  it("hashes the joined ids of a large batch into a short, order-independent id", () => {
    const events = Array.from({ length: 100 }, (_, i) => ({
      eventId: 4_000_000_000 + i,
      subscriptionType: "contact.propertyChange",
    }));
    const identity = identify(events);
    expect(identity.deliveryId).toMatch(/^batch-sha256:[0-9a-f]{64}$/);
    expect(identify([...events].reverse()).deliveryId).toBe(identity.deliveryId);
  });

  it("falls back to no delivery id when an event lacks its id, and to 'hubspot' for other bodies", () => {
    expect(identify([{ eventId: 1, subscriptionType: "a.b" }, { subscriptionType: "a.b" }])).toEqual({
      eventType: "a.b",
    });
    for (const json of [undefined, null, {}, { eventId: 5 }, [], "x", [1, 2]]) {
      expect(identify(json)).toEqual({ eventType: "hubspot" });
    }
  });

  it("keeps delivery ids for two days, past HubSpot's 24 hours of retries", () => {
    expect(hubspotVerifier.provider).toBe("hubspot");
    expect(hubspotVerifier.retryHorizonSeconds).toBe(2 * 86_400);
  });
});

// Properties on generated requests (see support/mutation-properties.ts).

/** `PROPERTY_URL` as HubSpot signs it (its listed escapes decoded), written out by hand. */
const HUBSPOT_SIGNED_URL = "https://hooks.example.test/webhooks/src?next=a:b/c&q=%20";

describeMutationProperties({
  name: "hubspot",
  verifier: hubspotVerifier,
  secretOf: hex,
  sign: (d, secret) => {
    const ms = String(d.timestamp * 1000);
    const signature = createHmac("sha256", secret)
      .update(`POST${HUBSPOT_SIGNED_URL}`)
      .update(d.body)
      .update(ms)
      .digest("base64");
    return base({ "x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": ms }, d.body);
  },
  tamperSecret: tamperUtf8,
  mutations: [
    flipBody,
    tamperSignature("x-hubspot-signature-v3", "", "base64"),
    setHeader("x-hubspot-request-timestamp", (old, c) => String(Math.max(0, Number(old) + c.delta))),
    (s, c) => ({ ...s, url: `${s.url}${c.bit}` }),
    (s) => ({ ...s, method: "PUT" }),
  ],
  headerNames: ["x-hubspot-signature-v3", "x-hubspot-request-timestamp", "x-hubspot-signature"],
});
