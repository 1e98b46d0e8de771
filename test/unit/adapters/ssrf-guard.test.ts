import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  DestinationBlockedError,
  destinationPolicyFromEnv,
  isBlockedDestinationMessage,
  LOCAL_POLICY,
  PRODUCTION_POLICY,
  type Resolver,
  SsrfGuard,
} from "../../../shared/adapters/ssrf-guard.js";
import { ENV } from "../../../shared/config/env.js";

/** A DNS the test controls; unknown names fail like getaddrinfo would. */
const fakeDns = (answers: Record<string, readonly string[]>): Resolver & { calls: string[] } => {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return found;
  };
  return Object.assign(resolve, { calls });
};

const dns = fakeDns({
  "public.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
  "internal.example": ["10.0.0.5"],
  "mixed.example": ["93.184.215.14", "192.168.1.10"],
  "mixed6.example": ["2606:4700::1", "::ffff:127.0.0.1"],
  "metadata.example": ["169.254.169.254"],
  "loopback.example": ["127.0.0.1", "::1"],
  "empty.example": [],
});

const lookupVia = (guard: SsrfGuard, hostname: string, all: boolean) =>
  new Promise<{ address: string | LookupAddress[]; family: number | undefined }>((resolve, reject) => {
    guard.lookup(hostname, { all }, (err, address, family) =>
      err ? reject(err) : resolve({ address, family }),
    );
  });

describe("destinationPolicyFromEnv", () => {
  it("selects the production policy when the variable is unset, empty or false", () => {
    expect(destinationPolicyFromEnv({})).toEqual(PRODUCTION_POLICY);
    expect(destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "" })).toEqual(PRODUCTION_POLICY);
    expect(destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "false" })).toEqual(PRODUCTION_POLICY);
    expect(PRODUCTION_POLICY).toEqual({ allowPrivate: false, requireHttps: true });
  });

  it("selects the local policy (http and private addresses allowed) when the variable is true", () => {
    expect(destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "true" })).toEqual({
      allowPrivate: true,
      requireHttps: false,
    });
  });

  it("throws on any other value instead of guessing", () => {
    expect(() => destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "yes" })).toThrow(TypeError);
  });
});

describe("SsrfGuard.checkUrl", () => {
  const production = new SsrfGuard(PRODUCTION_POLICY, dns);
  const local = new SsrfGuard(LOCAL_POLICY, dns);

  it("refuses http: in production", () => {
    expect(() => production.checkUrl(new URL("http://public.example/hook"))).toThrow(
      /^destination blocked: scheme http: is not allowed for public\.example/,
    );
  });

  it("refuses schemes other than http: and https: even locally", () => {
    expect(() => local.checkUrl(new URL("ftp://public.example/"))).toThrow(DestinationBlockedError);
  });

  it("accepts https: with a hostname without resolving it (that happens at connect time)", () => {
    expect(() => production.checkUrl(new URL("https://internal.example/hook"))).not.toThrow();
  });

  it.each([
    ["https://127.0.0.1/", "loopback address 127.0.0.1 for 127.0.0.1"],
    ["https://2130706433/", "loopback address 127.0.0.1 for 127.0.0.1"],
    ["https://0x7f.1/", "loopback address 127.0.0.1 for 127.0.0.1"],
    ["https://169.254.169.254/latest/meta-data/", "metadata address 169.254.169.254 for 169.254.169.254"],
    ["https://10.1.2.3:8443/", "private address 10.1.2.3 for 10.1.2.3"],
    ["https://[::1]/", "loopback address ::1 for ::1"],
    ["https://[::ffff:127.0.0.1]/", "loopback address ::ffff:7f00:1 for ::ffff:7f00:1"],
    ["https://[fd00:ec2::254]/", "metadata address fd00:ec2::254 for fd00:ec2::254"],
    ["https://[fe80::1]/", "link-local address fe80::1 for fe80::1"],
  ])("refuses the IP-literal URL %s in production", (url, detail) => {
    expect(() => production.checkUrl(new URL(url))).toThrow(`destination blocked: ${detail}`);
  });

  it("accepts a public IP-literal https: URL in production", () => {
    expect(() => production.checkUrl(new URL("https://93.184.215.14/"))).not.toThrow();
  });

  it("accepts http: and loopback/private literals locally", () => {
    expect(() => local.checkUrl(new URL("http://127.0.0.1:3000/"))).not.toThrow();
    expect(() => local.checkUrl(new URL("http://[::1]:3000/"))).not.toThrow();
    expect(() => local.checkUrl(new URL("http://192.168.1.10/"))).not.toThrow();
  });

  it("refuses cloud metadata addresses even locally", () => {
    expect(() => local.checkUrl(new URL("http://169.254.169.254/"))).toThrow(
      "destination blocked: metadata address 169.254.169.254",
    );
  });
});

describe("SsrfGuard.resolveChecked", () => {
  const production = new SsrfGuard(PRODUCTION_POLICY, dns);
  const local = new SsrfGuard(LOCAL_POLICY, dns);

  it("returns every answer for a hostname that resolves only to public addresses", async () => {
    await expect(production.resolveChecked("public.example")).resolves.toEqual([
      "93.184.215.14",
      "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]);
  });

  it("refuses a hostname that resolves to a private address", async () => {
    const error = await production.resolveChecked("internal.example").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestinationBlockedError);
    expect(error).toMatchObject({
      message: "destination blocked: private address 10.0.0.5 for internal.example",
      reason: "private",
      blockedAddress: "10.0.0.5",
      destinationHost: "internal.example",
    });
  });

  it("refuses a hostname whose answers mix public and private addresses", async () => {
    await expect(production.resolveChecked("mixed.example")).rejects.toThrow(
      "destination blocked: private address 192.168.1.10 for mixed.example",
    );
    await expect(production.resolveChecked("mixed6.example")).rejects.toThrow(
      "destination blocked: loopback address ::ffff:127.0.0.1 for mixed6.example",
    );
  });

  it("refuses a hostname that resolves to the metadata address, in either mode", async () => {
    await expect(production.resolveChecked("metadata.example")).rejects.toThrow(DestinationBlockedError);
    await expect(local.resolveChecked("metadata.example")).rejects.toThrow(DestinationBlockedError);
  });

  it("allows a hostname resolving to loopback and private addresses locally", async () => {
    await expect(local.resolveChecked("loopback.example")).resolves.toEqual(["127.0.0.1", "::1"]);
    await expect(local.resolveChecked("internal.example")).resolves.toEqual(["10.0.0.5"]);
  });

  it("fails like getaddrinfo for a name with no answers, which is not a block", async () => {
    const error = await production.resolveChecked("empty.example").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ENOTFOUND" });
    expect(error).not.toBeInstanceOf(DestinationBlockedError);
  });
});

describe("SsrfGuard.lookup (the function sockets connect through)", () => {
  it("hands every checked answer to a connect that asks for all of them", async () => {
    const guard = new SsrfGuard(PRODUCTION_POLICY, dns);
    await expect(lookupVia(guard, "public.example", true)).resolves.toEqual({
      address: [
        { address: "93.184.215.14", family: 4 },
        { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 },
      ],
      family: undefined,
    });
  });

  it("hands the first checked answer with its family to a connect that asks for one", async () => {
    const guard = new SsrfGuard(PRODUCTION_POLICY, dns);
    await expect(lookupVia(guard, "public.example", false)).resolves.toEqual({
      address: "93.184.215.14",
      family: 4,
    });
  });

  it("resolves once per connection, so the address checked is the address connected to", async () => {
    const counting = fakeDns({ "once.example": ["93.184.215.14"] });
    const guard = new SsrfGuard(PRODUCTION_POLICY, counting);
    await lookupVia(guard, "once.example", true);
    expect(counting.calls).toEqual(["once.example"]);
  });

  it("fails the connection with DestinationBlockedError for a refused answer", async () => {
    const guard = new SsrfGuard(PRODUCTION_POLICY, dns);
    await expect(lookupVia(guard, "mixed.example", true)).rejects.toBeInstanceOf(DestinationBlockedError);
  });
});

describe("isBlockedDestinationMessage", () => {
  it("recognises the message of a refused destination and nothing else", () => {
    expect(
      isBlockedDestinationMessage(DestinationBlockedError.address("private", "10.0.0.1", "x").message),
    ).toBe(true);
    expect(isBlockedDestinationMessage("connect ECONNREFUSED 10.0.0.1:443")).toBe(false);
  });
});
