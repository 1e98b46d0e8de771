import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { signedTestWebhook } from "../../local/test-webhook.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { DELIVERY_ATTRIBUTES as A } from "../../shared/adapters/sqs-delivery-queue.js";
import { ENV } from "../../shared/config/env.js";
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from "../../shared/config/schema.js";
import { JITTER } from "../../shared/domain/delivery-policy.js";
import { collectMessages, dynamoDbClient, sqsClient } from "../support/aws.js";
import { eventually } from "../support/http-sink.js";
import { SW_SOURCE, startTestPlatform } from "../support/test-platform.js";

/**
 * The default (Standard Webhooks) schedule — 9 retries over about three days — run in seconds against
 * a chaos receiver, with the deliver function on a clock this test drives.
 */
type Chaos = "500" | "429" | "reset" | "redirect" | "slow" | "503" | "502";
const SCRIPT: Chaos[] = ["500", "429", "reset", "redirect", "slow", "503", "500", "502", "500", "500"];
const source = SW_SOURCE;

let platform: LocalPlatform;
let chaos: Server;
let flappy: Server;
let flappyUrl: string;
let flappyDown = true;
/** Each request to the flappy receiver, with when it arrived and was answered (one counter, in order). */
const flappyRequests: { webhookId: string; status: number; arrived: number; answered?: number }[] = [];
let flappyTick = 0;
let chaosUrl: string;
const attempts: { timestamp: number; webhookId: string }[] = [];
let clockFile: string;
/** Moves the clock at once: a write in place is seen empty (epoch 0) by a read that falls in between. */
const setClock = (ms: number) => {
  writeFileSync(`${clockFile}.next`, String(Math.round(ms)));
  renameSync(`${clockFile}.next`, clockFile);
};

beforeAll(async () => {
  chaos = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const n = attempts.push({
        timestamp: Number(request.headers["webhook-timestamp"]),
        webhookId: String(request.headers["webhook-id"]),
      });
      switch (SCRIPT[n - 1] ?? "500") {
        case "429":
          response.writeHead(429, { "retry-after": "60" }).end();
          return;
        case "reset":
          request.socket.destroy();
          return;
        case "redirect":
          response.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" }).end();
          return;
        case "slow":
          setTimeout(() => response.writeHead(200).end(), 600);
          return;
        default:
          response.writeHead(Number(SCRIPT[n - 1] ?? 500)).end();
      }
    });
  });
  await new Promise<void>((ok) => chaos.listen(0, "127.0.0.1", () => ok()));
  const address = chaos.address();
  chaosUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;

  flappy = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const status = flappyDown ? 503 : 200;
      const record: (typeof flappyRequests)[number] = {
        webhookId: String(request.headers["webhook-id"]),
        status,
        arrived: ++flappyTick,
      };
      flappyRequests.push(record);
      response.on("finish", () => {
        record.answered = ++flappyTick;
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((ok) => flappy.listen(0, "127.0.0.1", () => ok()));
  const flappyAddress = flappy.address();
  flappyUrl = `http://127.0.0.1:${typeof flappyAddress === "object" && flappyAddress ? flappyAddress.port : 0}/hook`;

  const clockDir = mkdtempSync(join(tmpdir(), "webhooks-clock-"));
  clockFile = join(clockDir, "clock");
  setClock(Date.now());
  platform = await startTestPlatform(
    "sched",
    {
      sources: [source],
      subscriptions: [
        {
          id: "flappy",
          sources: ["sw"],
          eventTypes: ["flappy.*"],
          target: { type: "http", url: flappyUrl, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
        },
        {
          id: "chaos",
          eventTypes: ["invoice.*"],
          target: {
            type: "http",
            url: chaosUrl,
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            timeoutMs: 250,
          },
        },
      ],
    },
    { [ENV.clockFile]: clockFile },
  );
});

afterAll(async () => {
  await platform?.stop();
  for (const server of [chaos, flappy]) {
    await new Promise<void>((ok) => {
      server?.close(() => ok());
      server?.closeAllConnections();
    });
  }
});

describe("the default retry schedule against a chaos receiver, on a driven clock", () => {
  it("attempts at each scheduled time (within jitter), then dead-letters with the reason and the full history", async () => {
    const start = Number(readFileSync(clockFile, "utf8"));
    const request = signedTestWebhook(source, { type: "invoice.paid" });
    const response = await fetch(`${platform.ingestUrl}sw`, {
      method: "POST",
      headers: request.headers,
      body: request.body,
    });
    const { id } = (await response.json()) as { id: string };
    await eventually(() => (attempts.length === 1 ? true : undefined));
    expect(attempts[0]).toEqual({ timestamp: Math.floor(start / 1000), webhookId: id });

    let previous = start;
    for (const [i, delaySeconds] of DEFAULT_RETRY_SCHEDULE_SECONDS.entries()) {
      const delayMs = delaySeconds * 1000;
      // Just before the earliest jittered time: nothing may be sent.
      setClock(previous + (1 - JITTER) * delayMs - 1_000);
      await new Promise((r) => setTimeout(r, 400));
      expect(attempts, `attempt ${i + 2} came early`).toHaveLength(i + 1);
      // Just after the latest jittered time: the attempt must happen, and at that clock time.
      const at = previous + (1 + JITTER) * delayMs + 1_000;
      setClock(at);
      await eventually(
        () => (attempts.length === i + 2 ? true : undefined),
        15_000,
        () => `waiting for attempt ${i + 2} at clock ${at}; received ${JSON.stringify(attempts)}`,
      );
      expect(attempts[i + 1]).toEqual({ timestamp: Math.floor(at / 1000), webhookId: id });
      previous = at;
    }

    const sqs = sqsClient();
    const [dead] = await collectMessages(sqs, platform.queues.chaos?.dlqUrl ?? "", {
      until: (all) => all.length > 0,
      timeoutMs: 15_000,
    });
    const attr = (name: string) => dead?.MessageAttributes?.[name]?.StringValue;
    expect(attr(A.reason)).toBe("retries_exhausted");
    expect(attr(A.attempts)).toBe("10");
    expect(attr(A.lastStatus)).toBe("500");
    const history = JSON.parse(attr(A.history) ?? "[]") as { n: number; s?: number; e?: string }[];
    expect(history.map((h) => h.s ?? h.e)).toEqual([
      500,
      429,
      "network",
      302,
      "timeout",
      503,
      500,
      502,
      500,
      500,
    ]);

    const log = await new DynamoDbDeliveryStore(
      dynamoDbClient(),
      platform.topology.tables.delivery.name,
    ).attemptsForEvent(id);
    expect(log.map((a) => a.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(log.at(-1)?.result).toBe("dead-lettered");
  });

  it("opens the destination's breaker after five straight failures, parks instead of attempting, and drains after a successful probe", async () => {
    const post = async (type: string) => {
      const request = signedTestWebhook(source, { type });
      const response = await fetch(`${platform.ingestUrl}sw`, {
        method: "POST",
        headers: request.headers,
        body: request.body,
      });
      return ((await response.json()) as { id: string }).id;
    };
    const store = new DynamoDbDeliveryStore(dynamoDbClient(), platform.topology.tables.delivery.name);
    const origin = new URL(flappyUrl).origin;

    const failing: string[] = [];
    for (let i = 0; i < 5; i++) {
      failing.push(await post(`flappy.${i}`));
      await eventually(() => (flappyRequests.length === i + 1 ? true : undefined));
    }
    await eventually(async () => ((await store.breaker(origin)).state.state === "open" ? true : undefined));

    const held = await post("flappy.held");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(flappyRequests.filter((r) => r.webhookId === held)).toHaveLength(0);

    flappyDown = false;
    // Past the cool-down: one probe goes through and closes the breaker; the other messages, parked
    // while the probe was in flight (they look again within 10 s), are due soon after on the same clock.
    // (One that reaches deliver only after the close goes straight through: that is no second probe.)
    setClock(Number(readFileSync(clockFile, "utf8")) + 60_000);
    await eventually(async () => ((await store.breaker(origin)).state.state === "closed" ? true : undefined));
    expect(flappyRequests.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    setClock(Number(readFileSync(clockFile, "utf8")) + 30_000);
    await eventually(
      () =>
        [...failing, held].every((id) => flappyRequests.some((r) => r.webhookId === id && r.status === 200))
          ? true
          : undefined,
      20_000,
      () =>
        `undelivered: ${[...failing, held].filter((id) => !flappyRequests.some((r) => r.webhookId === id && r.status === 200)).join(", ")}; requests: ${JSON.stringify(flappyRequests)}`,
    );
    expect((await store.breaker(origin)).state).toMatchObject({ state: "closed", failures: 0 });
    // One probe: the first request after the receiver came back was answered before any other arrived.
    const [probe, ...after] = flappyRequests.filter((r) => r.status === 200);
    expect(probe?.answered).toBeDefined();
    expect(after.filter((r) => r.arrived < (probe?.answered ?? 0))).toEqual([]);
    for (const id of [...failing, held]) {
      expect(
        flappyRequests.filter((r) => r.webhookId === id && r.status === 200),
        id,
      ).toHaveLength(1);
    }
    const dead = await collectMessages(sqsClient(), platform.queues.flappy?.dlqUrl ?? "", {
      timeoutMs: 1_000,
    });
    expect(dead).toHaveLength(0);
  });
});
