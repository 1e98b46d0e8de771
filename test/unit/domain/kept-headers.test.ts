import { describe, expect, it } from "vitest";
import { keptHeaders } from "../../../shared/domain/kept-headers.js";

describe("keptHeaders", () => {
  it("keeps what describes the event and drops every credential and edge header", () => {
    expect(
      keptHeaders({
        "Content-Type": "application/json",
        "user-agent": "GitHub-Hookshot/abc",
        "x-github-event": "push",
        "x-github-delivery": "72d3162e",
        "x-hub-signature-256": "sha256=…",
        "stripe-signature": "t=1,v1=…",
        "webhook-signature": "v1,…",
        authorization: "Bearer x",
        "x-slack-request-timestamp": "1",
        "x-twilio-idempotency-token": "t",
        "x-api-key": "k",
        cookie: "a=b",
        host: "example.com",
        "x-forwarded-for": "1.2.3.4",
        "x-amzn-trace-id": "Root=1",
        "content-length": "10",
      }),
    ).toEqual({
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/abc",
      "x-github-event": "push",
      "x-github-delivery": "72d3162e",
      "x-slack-request-timestamp": "1",
    });
  });

  it("stops at about 2 KiB of headers", () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x-h${i}`, "v".repeat(40)]));
    const kept = keptHeaders(many);
    const size = Object.entries(kept).reduce((t, [k, v]) => t + k.length + v.length, 0);
    expect(size).toBeLessThanOrEqual(2_048);
    expect(Object.keys(kept).length).toBeGreaterThan(10);
  });
});
