import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NodeHttpSender } from "../../shared/adapters/node-http-sender.js";
import {
  LOCAL_POLICY,
  PRIVATE_NETWORKS_POLICY,
  PRODUCTION_POLICY,
  type Resolver,
} from "../../shared/adapters/ssrf-guard.js";
import type { DestinationPolicy } from "../../shared/domain/destination-policy.js";
import type { Clock } from "../../shared/ports/clock.js";

const clock: Clock = { now: () => Date.UTC(2025, 0, 1) };
/**
 * A deployed stack with `allowPrivateDestinations`: plain HTTP is allowed (to private addresses), so
 * the address check, not the scheme, is what refuses loopback.
 */
const PRODUCTION_OVER_HTTP: DestinationPolicy = PRIVATE_NETWORKS_POLICY;

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real receiver on 127.0.0.1 that answers per path, counting TCP connections and requests. */
async function startReceiver() {
  const received: Received[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      switch (path) {
        case "/ok":
        case "/target":
          res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
          return;
        case "/busy":
          res.writeHead(503, { "retry-after": "120" }).end();
          return;
        case "/gone-for-good":
          res.writeHead(400, { "webhook-delivery": "abort-message" }).end(`  ${"x".repeat(3000)}`);
          return;
        case "/moved":
          res.writeHead(302, { location: "/target" }).end();
          return;
        case "/slow":
          return; // never answers
        case "/reset":
          req.socket.destroy();
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
const senders: NodeHttpSender[] = [];
const sender = (policy: DestinationPolicy, resolve?: Resolver) => {
  const s = new NodeHttpSender(clock, resolve ? { policy, resolve } : { policy });
  senders.push(s);
  return s;
};
const post = (s: NodeHttpSender, url: string, timeoutMs = 5_000) =>
  s.post({ url, headers: { "content-type": "application/json", "x-test": "1" }, body: '{"n":1}', timeoutMs });

beforeAll(async () => {
  receiver = await startReceiver();
});
afterEach(() => {
  receiver.received.length = 0;
});
afterAll(async () => {
  for (const s of senders) s.close();
  await receiver.close();
});

describe("NodeHttpSender against a real local HTTP server (local policy)", () => {
  it("returns a 200 as a response outcome and sends the body and headers", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/ok"));
    expect(outcome).toMatchObject({ kind: "response", status: 200, responseSnippet: "thanks" });
    expect(outcome).not.toHaveProperty("retryAfterSeconds");
    expect(outcome).not.toHaveProperty("deliveryControl");
    expect(receiver.received).toEqual([
      expect.objectContaining({
        method: "POST",
        path: "/ok",
        body: '{"n":1}',
        headers: expect.objectContaining({ "content-type": "application/json", "x-test": "1" }),
      }),
    ]);
  });

  it("returns a 503 with its Retry-After in seconds", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/busy"));
    expect(outcome).toMatchObject({ kind: "response", status: 503, retryAfterSeconds: 120 });
  });

  it("keeps the first 1024 bytes of the body and the webhook-delivery instruction", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/gone-for-good"));
    expect(outcome).toMatchObject({ kind: "response", status: 400, deliveryControl: "abort-message" });
    expect(outcome.kind === "response" && outcome.responseSnippet).toBe("x".repeat(1022));
  });

  it("returns a 302 as the outcome and does not follow it", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/moved"));
    expect(outcome).toMatchObject({ kind: "response", status: 302 });
    expect(receiver.received.map((r) => r.path)).toEqual(["/moved"]);
  });

  it("gives up on a server that does not answer within the timeout with a timeout outcome", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/slow"), 300);
    expect(outcome).toMatchObject({
      kind: "error",
      errorClass: "timeout",
      message: "no response within 300 ms",
    });
  });

  it("turns a connection the server destroys into a network outcome", async () => {
    const outcome = await post(sender(LOCAL_POLICY), receiver.url("/reset"));
    expect(outcome).toMatchObject({ kind: "error", errorClass: "network" });
    expect(outcome.kind === "error" && outcome.message).not.toMatch(/^destination blocked:/);
  });

  it("turns a refused connection into a network outcome", async () => {
    const closed = await startReceiver();
    await closed.close();
    const outcome = await post(sender(LOCAL_POLICY), closed.url("/ok"));
    expect(outcome).toMatchObject({ kind: "error", errorClass: "network" });
  });

  it("connects to the address its resolver checked, for a name real DNS does not know", async () => {
    const dns: Resolver = async (hostname) => (hostname === "receiver.test" ? ["127.0.0.1"] : []);
    const outcome = await post(sender(LOCAL_POLICY, dns), `http://receiver.test:${receiver.port}/ok`);
    expect(outcome).toMatchObject({ kind: "response", status: 200 });
    expect(receiver.received[0]?.headers.host).toBe(`receiver.test:${receiver.port}`);
  });
});

describe("NodeHttpSender against a real local HTTP server (production policy)", () => {
  const expectRefusedWithoutContact = async (run: () => Promise<unknown>, message: RegExp) => {
    const connectionsBefore = receiver.connections();
    const outcome = await run();
    expect(outcome).toMatchObject({
      kind: "error",
      errorClass: "blocked",
      message: expect.stringMatching(message),
    });
    expect(receiver.received).toHaveLength(0);
    expect(receiver.connections()).toBe(connectionsBefore);
  };

  it("refuses http://127.0.0.1 and the server receives no request", async () => {
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_POLICY), receiver.url("/ok")),
      /^destination blocked: scheme http: is not allowed for 127\.0\.0\.1/,
    );
  });

  it("refuses the loopback address itself, not only the scheme, and never connects", async () => {
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_OVER_HTTP), receiver.url("/ok")),
      /^destination blocked: loopback address 127\.0\.0\.1 for 127\.0\.0\.1$/,
    );
  });

  it("refuses https://localhost because it names loopback, before any connection", async () => {
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_POLICY), `https://localhost:${receiver.port}/ok`),
      /^destination blocked: loopback name localhost$/,
    );
  });

  it("refuses http://localhost with allowPrivateDestinations, which never opens loopback", async () => {
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_OVER_HTTP), `http://localhost:${receiver.port}/ok`),
      /^destination blocked: loopback name localhost$/,
    );
  });

  it("refuses a name resolving to loopback with allowPrivateDestinations, at connect time", async () => {
    const dns: Resolver = async () => ["127.0.0.1"];
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_OVER_HTTP, dns), `http://sink.internal.test:${receiver.port}/ok`),
      /^destination blocked: loopback address 127\.0\.0\.1 for sink\.internal\.test$/,
    );
  });

  it("refuses plain http: to a public address even with allowPrivateDestinations", async () => {
    const dns: Resolver = async () => ["93.184.215.14"];
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_OVER_HTTP, dns), `http://public.test:${receiver.port}/ok`),
      /^destination blocked: plain http: to public address 93\.184\.215\.14 for public\.test/,
    );
  });

  it("refuses a name whose answers include a private address alongside a public one", async () => {
    const dns: Resolver = async () => ["93.184.215.14", "127.0.0.1"];
    await expectRefusedWithoutContact(
      () => post(sender(PRODUCTION_POLICY, dns), `https://rebind.test:${receiver.port}/ok`),
      /^destination blocked: loopback address 127\.0\.0\.1 for rebind\.test$/,
    );
  });
});
