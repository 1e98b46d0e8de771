import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  DestinationBlockedError,
  destinationPolicyFromEnv,
  LOCAL_POLICY,
  PRIVATE_NETWORKS_POLICY,
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
    expect(PRODUCTION_POLICY).toEqual({ allowPrivate: false, allowLoopback: false });
  });

  it("opens private networks, and nothing else, when a deployed stack sets allowPrivateDestinations", () => {
    expect(destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "true" })).toEqual(
      PRIVATE_NETWORKS_POLICY,
    );
    expect(PRIVATE_NETWORKS_POLICY).toEqual({ allowPrivate: true, allowLoopback: false });
  });

  it("opens loopback only with the local runtime's own switch", () => {
    expect(
      destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "true", [ENV.localAllowLoopback]: "true" }),
    ).toEqual(LOCAL_POLICY);
  });

  it("refuses the local loopback switch inside AWS Lambda", () => {
    expect(() =>
      destinationPolicyFromEnv({
        [ENV.localAllowLoopback]: "true",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      }),
    ).toThrow(/WEBHOOKS_LOCAL_ALLOW_LOOPBACK is for the local runtime only/);
  });

  it("throws on any other value instead of guessing", () => {
    expect(() => destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "yes" })).toThrow(TypeError);
    expect(() => destinationPolicyFromEnv({ [ENV.localAllowLoopback]: "1" })).toThrow(TypeError);
  });
});

describe("SsrfGuard under a deployed stack's allowPrivateDestinations", () => {
  // What a deployed function gets from the topology: the flag, never the local loopback switch.
  const deployed = new SsrfGuard(destinationPolicyFromEnv({ [ENV.allowPrivateDestinations]: "true" }), dns);

  it.each([
    ["http://127.0.0.1:9001/2018-06-01/runtime/invocation/next", "loopback address 127.0.0.1"],
    ["https://[::1]/", "loopback address ::1"],
    ["http://localhost:9001/", "loopback name localhost"],
    ["http://169.254.169.254/latest/meta-data/", "metadata address 169.254.169.254"],
    ["http://169.254.170.2/v2/credentials", "link-local address 169.254.170.2"],
    ["http://[fe80::1]/", "link-local address fe80::1"],
    ["http://[fd00:ec2::254]/", "metadata address fd00:ec2::254"],
    ["http://100.64.0.1/", "cgnat address 100.64.0.1"],
    ["http://0.0.0.0/", "unspecified address 0.0.0.0"],
    ["http://[fec0::1]/", "reserved address fec0::1"],
  ])("still refuses %s", (url, detail) => {
    expect(() => deployed.checkUrl(new URL(url))).toThrow(`destination blocked: ${detail}`);
  });

  it("opens RFC 1918 and unique local IPv6 addresses, over http: too", () => {
    for (const url of [
      "http://10.1.2.3/",
      "https://172.16.0.1/",
      "http://192.168.1.10/",
      "http://[fd12::1]/",
    ]) {
      expect(() => deployed.checkUrl(new URL(url)), url).not.toThrow();
    }
  });

  it("refuses a name resolving to loopback at connect time", async () => {
    await expect(deployed.resolveChecked("loopback.example", "http:")).rejects.toThrow(
      "destination blocked: loopback address 127.0.0.1 for loopback.example",
    );
    await expect(deployed.resolveChecked("internal.example", "http:")).resolves.toEqual(["10.0.0.5"]);
  });

  it("sends plain http: to private addresses only, never across the internet", async () => {
    expect(() => deployed.checkUrl(new URL("http://93.184.215.14/"))).toThrow(
      "destination blocked: plain http: to public address 93.184.215.14 for 93.184.215.14",
    );
    await expect(deployed.resolveChecked("public.example", "http:")).rejects.toThrow(
      /^destination blocked: plain http: to public address 93\.184\.215\.14 for public\.example/,
    );
    await expect(deployed.resolveChecked("public.example", "https:")).resolves.toHaveLength(2);
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
    expect(() => local.checkUrl(new URL("http://localhost:3000/"))).not.toThrow();
    expect(() => local.checkUrl(new URL("http://127.0.0.1:3000/"))).not.toThrow();
    expect(() => local.checkUrl(new URL("http://[::1]:3000/"))).not.toThrow();
    expect(() => local.checkUrl(new URL("http://192.168.1.10/"))).not.toThrow();
  });

  it("refuses cloud metadata and other link-local addresses even locally", () => {
    expect(() => local.checkUrl(new URL("http://169.254.169.254/"))).toThrow(
      "destination blocked: metadata address 169.254.169.254",
    );
    expect(() => local.checkUrl(new URL("http://169.254.1.1/"))).toThrow(
      "destination blocked: link-local address 169.254.1.1",
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

describe("DestinationBlockedError", () => {
  it("says what was refused after the `destination blocked:` prefix", () => {
    expect(DestinationBlockedError.address("private", "10.0.0.1", "x").message).toMatch(
      /^destination blocked: /,
    );
  });
});
