import { describe, expect, it } from "vitest";
import { pointSinkTargetsAt } from "../../../local/sink-targets.js";

const http = (id: string, url: string) => ({ id, target: { type: "http", url, secret: "whsec_x" } });

describe("pointSinkTargetsAt", () => {
  it("points local sink targets (127.0.0.1 or localhost, any port) at the running server", () => {
    const { config, rewritten } = pointSinkTargetsAt(
      {
        sources: [],
        subscriptions: [
          http("billing", "http://127.0.0.1:3000/_local/sink/billing"),
          http("other", "http://localhost/_local/sink/other"),
          http("same", "http://127.0.0.1:3100/_local/sink/same"),
          http("remote", "https://example.com/_local/sink/x"),
          http("elsewhere", "http://127.0.0.1:3000/hooks"),
          { id: "audit", target: { type: "queue" } },
        ],
      },
      "http://127.0.0.1:3100",
    );
    expect(rewritten).toEqual([
      {
        subscriptionId: "billing",
        from: "http://127.0.0.1:3000/_local/sink/billing",
        to: "http://127.0.0.1:3100/_local/sink/billing",
      },
      {
        subscriptionId: "other",
        from: "http://localhost/_local/sink/other",
        to: "http://127.0.0.1:3100/_local/sink/other",
      },
    ]);
    expect(
      (config as { subscriptions: { target: { url?: string } }[] }).subscriptions.map((s) => s.target.url),
    ).toEqual([
      "http://127.0.0.1:3100/_local/sink/billing",
      "http://127.0.0.1:3100/_local/sink/other",
      "http://127.0.0.1:3100/_local/sink/same",
      "https://example.com/_local/sink/x",
      "http://127.0.0.1:3000/hooks",
      undefined,
    ]);
  });
});
