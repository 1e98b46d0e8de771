import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "../../../../shared/domain/delivery-policy.js";
import { settleAdmission, settleAttempt } from "../../../../shared/use-cases/deliver/settle.js";
import { admittedMessage, message, NOW, recordingQueue } from "./steps-kit.js";

const clock = { now: () => NOW + 250 };

describe("settleAdmission", () => {
  it("dead-letters with the reason, the message's history and the time it failed", async () => {
    const { queue, calls } = recordingQueue();
    const history = [{ attempt: 1, at: NOW - 5_000, status: 500 }];
    const m = message({ attempt: 2, history });
    const result = await settleAdmission(
      m,
      {
        kind: "dead-letter",
        reason: "subscription_disabled",
        detail: "subscription disabled: HTTP 410",
        eventId: "evt_abc",
        subscriptionId: "billing",
      },
      { queue, clock },
    );
    expect(result).toEqual({
      messageId: "m1",
      eventId: "evt_abc",
      result: "dead-lettered",
      attempt: 2,
      reason: "subscription_disabled",
      detail: "subscription disabled: HTTP 410",
    });
    expect(calls).toEqual([
      {
        op: "deadLetter",
        message: m,
        letter: {
          reason: "subscription_disabled",
          detail: "subscription disabled: HTTP 410",
          history,
          subscriptionId: "billing",
          failedAt: NOW + 250,
        },
      },
    ]);
  });

  it("reports an invalid message without an event id", async () => {
    const { queue } = recordingQueue();
    const result = await settleAdmission(
      message({ body: "garbage" }),
      { kind: "dead-letter", reason: "invalid_message", detail: "not JSON" },
      { queue, clock },
    );
    expect(result).not.toHaveProperty("eventId");
    expect(result).toMatchObject({ result: "dead-lettered", reason: "invalid_message" });
  });

  it("hops a message that is not due, parks one that may not go now, and acknowledges a delivered copy", async () => {
    const { queue, calls } = recordingQueue();
    const m = message({ attempt: 3 });
    expect(await settleAdmission(m, { kind: "not-due", eventId: "evt_abc" }, { queue, clock })).toEqual({
      messageId: "m1",
      eventId: "evt_abc",
      result: "parked",
      attempt: 3,
      why: "not-due",
    });
    expect(
      await settleAdmission(
        m,
        { kind: "park", eventId: "evt_abc", why: "rate-limited", dueAt: NOW + 9_000 },
        { queue, clock },
      ),
    ).toMatchObject({ result: "parked", attempt: 3, why: "rate-limited" });
    expect(
      await settleAdmission(m, { kind: "already-delivered", eventId: "evt_abc" }, { queue, clock }),
    ).toEqual({
      messageId: "m1",
      eventId: "evt_abc",
      result: "already-delivered",
    });
    expect(calls).toEqual([
      { op: "hop", message: m },
      { op: "park", message: m, dueAt: NOW + 9_000 },
    ]);
  });
});

async function afterAttempt(outcome: AttemptOutcome, attempt = 1, state = { paused: false }) {
  const { store, admitted } = await admittedMessage({ state });
  const { queue, calls } = recordingQueue();
  const history = attempt > 1 ? [{ attempt: attempt - 1, at: NOW - 5_000, status: 502 }] : [];
  const m = message({ attempt, history });
  const result = await settleAttempt(
    m,
    admitted,
    outcome,
    { queue, attemptLog: store, subscriptionStates: store, clock, random: () => 0.5 },
    { attemptLogTtlSeconds: 86_400 },
  );
  return { result, calls, store, m };
}

describe("settleAttempt", () => {
  it("hands a success over with its attempt for the batch's one write, writing and sending nothing itself", async () => {
    const ok: AttemptOutcome = { kind: "response", status: 200, latencyMs: 7 };
    const { result, calls, store } = await afterAttempt(ok);
    expect(result).toEqual({
      messageId: "m1",
      eventId: "evt_abc",
      result: "delivered",
      attempt: 1,
      outcome: ok,
      record: {
        eventId: "evt_abc",
        subscriptionId: "billing",
        attempt: 1,
        at: NOW,
        latencyMs: 7,
        status: 200,
        result: "delivered",
      },
    });
    expect(store.deliveries.size).toBe(0);
    expect(store.attempts).toEqual([]);
    expect(calls).toEqual([]);
  });

  it("logs a failed attempt and schedules the next one on the subscription's schedule", async () => {
    const { result, calls, store, m } = await afterAttempt({
      kind: "error",
      errorClass: "timeout",
      message: "no response within 10000 ms",
      latencyMs: 10_000,
    });
    expect(result).toMatchObject({ result: "retry-scheduled", attempt: 1, delaySeconds: 5 });
    expect(store.deliveries.size).toBe(0);
    expect(store.attempts[0]).toMatchObject({
      errorClass: "timeout",
      detail: "no response within 10000 ms",
      result: "retry-scheduled",
    });
    expect(calls).toEqual([
      {
        op: "retry",
        message: m,
        next: {
          attempt: 2,
          subscriptionId: "billing",
          history: [{ attempt: 1, at: NOW, errorClass: "timeout" }],
          last: { attempt: 1, at: NOW, errorClass: "timeout" },
          detail: "timeout: no response within 10000 ms",
          dueAt: NOW + 5_000,
        },
      },
    ]);
  });

  it("dead-letters with the whole history once the schedule is used up", async () => {
    const { result, calls } = await afterAttempt({ kind: "response", status: 503, latencyMs: 2 }, 3);
    expect(result).toMatchObject({
      result: "dead-lettered",
      reason: "retries_exhausted",
      detail: "HTTP 503 from https://example.test/hook",
    });
    expect(calls).toEqual([
      {
        op: "deadLetter",
        message: expect.objectContaining({ attempt: 3 }),
        letter: {
          reason: "retries_exhausted",
          detail: "HTTP 503 from https://example.test/hook",
          history: [
            { attempt: 2, at: NOW - 5_000, status: 502 },
            { attempt: 3, at: NOW, status: 503 },
          ],
          subscriptionId: "billing",
          last: { attempt: 3, at: NOW, status: 503 },
          failedAt: NOW + 250,
        },
      },
    ]);
  });

  it("disables the subscription when the receiver says so, keeping an ops pause, then dead-letters", async () => {
    const { result, store, calls } = await afterAttempt(
      { kind: "response", status: 500, deliveryControl: "disable", latencyMs: 2 },
      1,
      { paused: true },
    );
    expect(result).toMatchObject({ result: "dead-lettered", reason: "subscription_disabled" });
    expect(await store.subscriptionState("billing")).toEqual({
      paused: true,
      disabledReason: "HTTP 500 from https://example.test/hook (webhook-delivery: disable)",
      changedAt: new Date(NOW).toISOString(),
    });
    expect(calls.map((c) => c.op)).toEqual(["deadLetter"]);
  });
});
