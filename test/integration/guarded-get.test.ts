import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGuardedGet } from "../../shared/adapters/guarded-get.js";
import { DestinationBlockedError, type Resolver } from "../../shared/adapters/ssrf-guard.js";
import {
  LOCAL_POLICY,
  PRIVATE_NETWORKS_POLICY,
  PRODUCTION_POLICY,
} from "../../shared/domain/destination-policy.js";

/** A real server on 127.0.0.1: `/keys` answers a key set, `/moved` redirects, `/big` sends 4 KiB. */
let server: Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests += 1;
    if (req.url === "/moved") res.writeHead(302, { location: "/keys" }).end();
    else if (req.url === "/big") res.writeHead(200).end("x".repeat(4_096));
    else res.writeHead(200, { "content-type": "application/json" }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (url: string, policy = LOCAL_POLICY, resolve?: Resolver) =>
  createGuardedGet(resolve ? { policy, resolve } : { policy })({
    url,
    signal: AbortSignal.timeout(2_000),
    maxBytes: 1_024,
  });

describe("createGuardedGet (a JWKS fetch on the deliveries' guarded path, real local server)", () => {
  it("GETs a key set from loopback under the local runtime's policy", async () => {
    await expect(get(`${base}/keys`)).resolves.toEqual({ status: 200, body: '{"keys":[]}' });
  });

  it("refuses loopback in a deployed stack, with or without allowPrivateDestinations, before connecting", async () => {
    const before = requests;
    for (const policy of [PRODUCTION_POLICY, PRIVATE_NETWORKS_POLICY]) {
      await expect(get(`${base}/keys`, policy)).rejects.toBeInstanceOf(DestinationBlockedError);
      await expect(
        get(`https://keys.example.test:${new URL(base).port}/keys`, policy, async () => ["127.0.0.1"]),
      ).rejects.toThrow(/^destination blocked: loopback address 127\.0\.0\.1 for keys\.example\.test/);
    }
    expect(requests).toBe(before);
  });

  it("answers a redirect with its status instead of following it", async () => {
    await expect(get(`${base}/moved`)).resolves.toMatchObject({ status: 302 });
  });

  it("refuses a body larger than the limit", async () => {
    await expect(get(`${base}/big`)).rejects.toThrow("the answer is larger than 1024 bytes");
  });
});
