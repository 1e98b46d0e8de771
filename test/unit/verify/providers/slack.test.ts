import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { InvalidRequestError, SIGNATURE_FAILURES } from "../../../../shared/domain/errors.js";
import { slackVerifier } from "../../../../shared/verify/providers/slack.js";
import {
  describeSignedRequestProperties,
  hmac,
  PROPERTY_URL,
  tamperHeader,
  withHeader,
} from "../support/signed-request-properties.js";
import {
  contextOf,
  failureOf,
  flipBit,
  requestOf,
  tamperEncoded,
  withoutHeader,
} from "../support/verify-test-kit.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const OTHER_SECRET = "8f742231b10e8888abcd99yyyzzz85a6";
const NOW = 1_700_000_000;
const EVENT_BODY = JSON.stringify({
  token: "XXYYZZ",
  team_id: "T123ABC456",
  type: "event_callback",
  event: { type: "message", channel: "C123ABC456", user: "U123ABC456", text: "hi", ts: "1355517523.000005" },
  event_id: "Ev123ABC456",
  event_time: 1355517523,
});

/** Independent of the verifier: hex HMAC-SHA256 of `v0:{ts}:{body}` keyed by the signing secret. */
function slackSignature(timestamp: number | string, body: Buffer | string, secret = SECRET): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:`).update(body).digest("hex")}`;
}

function headersOf(body: Buffer | string, timestamp = NOW, secret = SECRET): Record<string, string> {
  return {
    "x-slack-signature": slackSignature(timestamp, body, secret),
    "x-slack-request-timestamp": String(timestamp),
    "content-type": "application/json",
  };
}

function verify(
  headers: Record<string, string>,
  secrets: readonly string[],
  body: Buffer | string,
  now = NOW,
) {
  return slackVerifier.verify(requestOf(headers, body), contextOf(secrets, now));
}

function reasonOf(
  headers: Record<string, string>,
  secrets: readonly string[],
  body: Buffer | string,
  now = NOW,
) {
  return failureOf(() => verify(headers, secrets, body, now)).reason;
}

function identify(body: string) {
  return slackVerifier.identify(requestOf({}, body), () => {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  });
}

describe("slackVerifier.verify", () => {
  it("accepts a request signed over v0:{timestamp}:{body}", () => {
    expect(verify(headersOf(EVENT_BODY), [SECRET], EVENT_BODY)).toEqual({ secretIndex: 0 });
  });

  it("rejects a tampered body, a tampered signature and a wrong secret", () => {
    const headers = headersOf(EVENT_BODY);
    expect(reasonOf(headers, [SECRET], flipBit(Buffer.from(EVENT_BODY), 20))).toBe(
      SIGNATURE_FAILURES.noMatchingSignature,
    );
    const signature = headers["x-slack-signature"] ?? "";
    const tampered = { ...headers, "x-slack-signature": `v0=${tamperEncoded(signature.slice(3), "hex", 5)}` };
    expect(reasonOf(tampered, [SECRET], EVENT_BODY)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
    expect(reasonOf(headers, [OTHER_SECRET], EVENT_BODY)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects a changed timestamp inside the window, since the timestamp is signed", () => {
    const headers = { ...headersOf(EVENT_BODY), "x-slack-request-timestamp": String(NOW + 1) };
    expect(reasonOf(headers, [SECRET], EVENT_BODY)).toBe(SIGNATURE_FAILURES.noMatchingSignature);
  });

  it("rejects timestamps too old or too far in the future, inclusive bounds accepted", () => {
    const headers = headersOf(EVENT_BODY);
    expect(verify(headers, [SECRET], EVENT_BODY, NOW + 300).secretIndex).toBe(0);
    expect(verify(headers, [SECRET], EVENT_BODY, NOW - 300).secretIndex).toBe(0);
    expect(reasonOf(headers, [SECRET], EVENT_BODY, NOW + 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
    expect(reasonOf(headers, [SECRET], EVENT_BODY, NOW - 301)).toBe(SIGNATURE_FAILURES.timestampOutOfWindow);
  });

  it("returns the index of the rotated secret that matched", () => {
    expect(verify(headersOf(EVENT_BODY), [OTHER_SECRET, SECRET], EVENT_BODY)).toEqual({ secretIndex: 1 });
  });

  it("rejects a request missing either header", () => {
    for (const name of ["x-slack-signature", "x-slack-request-timestamp"]) {
      const failure = failureOf(() =>
        verify(withoutHeader(headersOf(EVENT_BODY), name), [SECRET], EVENT_BODY),
      );
      expect(failure.reason).toBe(SIGNATURE_FAILURES.missingHeader);
      expect(failure.logDetail).toContain(name);
    }
  });

  it("rejects malformed signature and timestamp headers", () => {
    const headers = headersOf(EVENT_BODY);
    const hex = (headers["x-slack-signature"] ?? "").slice(3);
    for (const signature of ["v0=", hex, `v1=${hex}`, `v0=${hex.toUpperCase()}`, `v0=${hex}0`, "v0=zz"]) {
      expect(reasonOf({ ...headers, "x-slack-signature": signature }, [SECRET], EVENT_BODY)).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
    for (const timestamp of ["abc", `${NOW}.5`, `0${NOW}`, "-1", " "]) {
      expect(reasonOf({ ...headers, "x-slack-request-timestamp": timestamp }, [SECRET], EVENT_BODY)).toBe(
        SIGNATURE_FAILURES.malformedHeader,
      );
    }
  });

  it("reports repeated headers joined by the gateway as duplicates", () => {
    const headers = headersOf(EVENT_BODY);
    for (const name of ["x-slack-signature", "x-slack-request-timestamp"]) {
      const joined = { ...headers, [name]: `${headers[name]}, ${headers[name]}` };
      expect(reasonOf(joined, [SECRET], EVENT_BODY)).toBe(SIGNATURE_FAILURES.duplicateHeader);
    }
  });

  it("reports unusable secrets only when every secret is empty", () => {
    expect(reasonOf(headersOf(EVENT_BODY), [""], EVENT_BODY)).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(reasonOf(headersOf(EVENT_BODY), [], EVENT_BODY)).toBe(SIGNATURE_FAILURES.unusableSecret);
    expect(verify(headersOf(EVENT_BODY), ["", SECRET], EVENT_BODY)).toEqual({ secretIndex: 1 });
  });
});

describe("slackVerifier.identify", () => {
  it("reads event_id and the inner event type of an event_callback", () => {
    expect(identify(EVENT_BODY)).toEqual({
      deliveryId: "Ev123ABC456",
      deliveryIdSigned: true,
      eventType: "message",
    });
  });

  it("answers url_verification with the challenge as JSON and enqueues nothing", () => {
    const body = JSON.stringify({
      token: "t",
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      type: "url_verification",
    });
    expect(identify(body)).toEqual({
      eventType: "url_verification",
      reply: {
        statusCode: 200,
        contentType: "application/json",
        body: '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}',
      },
    });
  });

  it("rejects a url_verification without a challenge as an invalid request", () => {
    expect(() => identify(JSON.stringify({ type: "url_verification" }))).toThrow(InvalidRequestError);
    expect(() => identify(JSON.stringify({ type: "url_verification", challenge: 7 }))).toThrow(
      InvalidRequestError,
    );
  });

  it("uses the body type for other JSON bodies, and event_callback when the event has no type", () => {
    expect(identify(JSON.stringify({ type: "app_rate_limited", team_id: "T1" }))).toEqual({
      eventType: "app_rate_limited",
    });
    expect(identify(JSON.stringify({ type: "event_callback", event_id: "Ev1", event: {} }))).toEqual({
      deliveryId: "Ev1",
      deliveryIdSigned: true,
      eventType: "event_callback",
    });
  });

  it("reads a slash command form: slash_command, keyed by its trigger_id", () => {
    const body =
      "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&command=%2Fdeploy&text=prod&trigger_id=13345224609.738474920.8088930838d88f008e0";
    expect(identify(body)).toEqual({
      deliveryId: "13345224609.738474920.8088930838d88f008e0",
      deliveryIdSigned: true,
      eventType: "slash_command",
    });
    expect(identify("command=%2Fdeploy&text=prod")).toEqual({ eventType: "slash_command" });
  });

  it("reads an interactivity form: the payload's type and trigger_id", () => {
    const payload = JSON.stringify({
      type: "block_actions",
      trigger_id: "12466734323.1395872398",
      actions: [],
    });
    expect(identify(`payload=${encodeURIComponent(payload)}`)).toEqual({
      deliveryId: "12466734323.1395872398",
      deliveryIdSigned: true,
      eventType: "block_actions",
    });
    const noTrigger = JSON.stringify({ type: "view_closed" });
    expect(identify(`payload=${encodeURIComponent(noTrigger)}`)).toEqual({ eventType: "view_closed" });
  });

  it("falls back to 'slack' for bodies it cannot read", () => {
    for (const body of ["", "payload=%7Bnot-json", "a=b", "[1,2]", "42"]) {
      expect(identify(body)).toEqual({ eventType: "slack" });
    }
  });

  it("accepts JSON and form bodies, and keeps ids for a day past Slack's hour of retries", () => {
    expect(slackVerifier.provider).toBe("slack");
    expect(slackVerifier.contentTypes).toEqual(["application/json", "application/x-www-form-urlencoded"]);
    expect(slackVerifier.retryHorizonSeconds).toBe(86_400);
  });
});

// Properties on generated requests (see support/signed-request-properties.ts).

describeSignedRequestProperties({
  name: "slack",
  verifier: slackVerifier,
  sign: (m, secret) => ({
    headers: {
      "x-slack-signature": `v0=${hmac("sha256", secret, `v0:${m.timestamp}:`, m.body).toString("hex")}`,
      "x-slack-request-timestamp": String(m.timestamp),
    },
    body: m.body,
    url: PROPERTY_URL,
  }),
  tamperSignature: tamperHeader("x-slack-signature", "v0=", "hex"),
  retime: (r, _m, timestamp) => withHeader(r, "x-slack-request-timestamp", String(timestamp)),
  headerNames: ["x-slack-signature", "x-slack-request-timestamp"],
});
