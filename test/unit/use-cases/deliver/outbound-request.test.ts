import { describe, expect, it } from "vitest";
import { outboundRequest } from "../../../../shared/use-cases/deliver/outbound-request.js";
import { standardWebhooksVerifier } from "../../../../shared/verify/providers/standard-webhooks.js";
import { eventBody, NOW, SECRET, subscription } from "./steps-kit.js";

const request = (overrides: Partial<Parameters<typeof outboundRequest>[0]> = {}) =>
  outboundRequest({
    target: subscription.target,
    eventId: "evt_abc",
    body: eventBody(),
    secrets: [SECRET],
    userAgent: "webhooks-platform/test",
    nowMs: NOW + 999,
    ...overrides,
  });

describe("outboundRequest", () => {
  it("POSTs the CloudEvent as it is, with the Standard Webhooks headers of the attempt's second", () => {
    expect(request()).toEqual({
      url: "https://example.test/hook",
      timeoutMs: 10_000,
      body: eventBody(),
      headers: {
        "content-type": "application/cloudevents+json; charset=utf-8",
        "user-agent": "webhooks-platform/test",
        "webhook-id": "evt_abc",
        "webhook-timestamp": String(NOW / 1000),
        "webhook-signature": expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
      },
    });
  });

  it("is signed so that a Standard Webhooks receiver holding the secret verifies it", async () => {
    const { headers, body } = request();
    const verified = await standardWebhooksVerifier.verify(
      { headers, rawBody: Buffer.from(body) },
      { secrets: [SECRET], nowSeconds: NOW / 1000, toleranceSeconds: 300 },
    );
    expect(verified.secretIndex).toBe(0);
  });

  it("uses the target's own timeout and one signature per configured key", () => {
    const second = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
    const r = request({ target: { ...subscription.target, timeoutMs: 2_500 }, secrets: [SECRET, second] });
    expect(r.timeoutMs).toBe(2_500);
    expect(r.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
  });
});
