import { describe, expect, it } from "vitest";
import { CLOSED } from "../../../../shared/domain/circuit-breaker.js";
import type { AttemptOutcome } from "../../../../shared/domain/delivery-policy.js";
import type { HttpRequest } from "../../../../shared/ports/http-sender.js";
import type { Admitted } from "../../../../shared/use-cases/deliver/admit.js";
import { attempt } from "../../../../shared/use-cases/deliver/attempt.js";
import { admittedMessage, message, NOW } from "./steps-kit.js";

const DESTINATION = "https://example.test";

async function setup(outcome: AttemptOutcome, admitted: Partial<Admitted> = {}) {
  const { store, admitted: go } = await admittedMessage(admitted);
  const posts: HttpRequest[] = [];
  const fetched: string[] = [];
  const deps = {
    secrets: { resolve: async (ref: unknown) => (typeof ref === "string" ? ref : "") },
    http: {
      post: async (request: HttpRequest) => {
        posts.push(request);
        return outcome;
      },
    },
    breakers: store,
    payloads: {
      get: async (ref: string) => {
        fetched.push(ref);
        return Buffer.from(JSON.stringify({ big: "payload" }));
      },
    },
  };
  const run = () => attempt(message(), go, deps, { userAgent: "test" });
  return { store, posts, fetched, run, deps, go };
}

describe("attempt", () => {
  it("POSTs the signed request to the target and returns the outcome", async () => {
    const ok: AttemptOutcome = { kind: "response", status: 204, latencyMs: 4 };
    const { run, posts } = await setup(ok);
    expect(await run()).toEqual(ok);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({
      url: "https://example.test/hook",
      body: message().body,
      headers: { "webhook-id": "evt_abc", "user-agent": "test" },
    });
  });

  it("writes nothing to a quiet, closed breaker on success (the cheap common case)", async () => {
    const { run, store } = await setup({ kind: "response", status: 200, latencyMs: 1 });
    await run();
    expect(store.breakers.size).toBe(0);
  });

  it("counts a failure that says the receiver is down, and not a 4xx it chose to answer", async () => {
    const down = await setup({ kind: "response", status: 503, latencyMs: 1 });
    await down.run();
    expect((await down.store.breaker(DESTINATION)).state.failures).toBe(1);
    const refused = await setup({ kind: "response", status: 400, latencyMs: 1 });
    await refused.run();
    expect(refused.store.breakers.size).toBe(0);
  });

  it("closes the breaker when the probe succeeds", async () => {
    const halfOpen = { ...CLOSED, state: "half-open" as const, probeUntil: NOW + 60_000, opens: 1 };
    const { run, store } = await setup(
      { kind: "response", status: 200, latencyMs: 1 },
      { breakerAdmission: "probe", breaker: { state: halfOpen, version: 1 } },
    );
    await store.saveBreaker(DESTINATION, halfOpen, 0);
    await run();
    expect((await store.breaker(DESTINATION)).state).toEqual(CLOSED);
  });

  it("POSTs a claim-checked event with its payload fetched in place of its dataref", async () => {
    const ok: AttemptOutcome = { kind: "response", status: 200, latencyMs: 1 };
    const { store, posts, fetched, deps, go } = await setup(ok);
    const { data: _data, ...withoutData } = JSON.parse(message().body) as Record<string, unknown>;
    const withRef = { ...withoutData, dataref: "events/stripe/evt_abc" };
    await attempt(
      message({ body: JSON.stringify(withRef) }),
      { ...go, event: withRef as Admitted["event"] },
      deps,
      {
        userAgent: "test",
      },
    );
    expect(fetched).toEqual(["events/stripe/evt_abc"]);
    const sent = JSON.parse(posts[0]?.body ?? "{}") as Record<string, unknown>;
    expect(sent.data).toEqual({ big: "payload" });
    expect(sent.dataref).toBeUndefined();
    expect(sent.id).toBe("evt_abc");
    expect(store.breakers.size).toBe(0);
  });

  it("fails, writing nothing, when the request cannot be built (a secret cannot be read)", async () => {
    const { store, deps, go, posts } = await setup({ kind: "response", status: 200, latencyMs: 1 });
    const failing = {
      ...deps,
      secrets: { resolve: async () => Promise.reject(new Error("Secrets Manager down")) },
    };
    await expect(attempt(message(), go, failing, { userAgent: "test" })).rejects.toThrow(
      "Secrets Manager down",
    );
    expect(posts).toEqual([]);
    expect(store.deliveries.size).toBe(0);
    expect(store.breakers.size).toBe(0);
  });
});
