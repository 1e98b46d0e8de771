import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, parseConfig } from "../../../shared/config/load-config.js";

const valid = {
  sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_x"] }],
  subscriptions: [{ id: "audit", target: { type: "queue" } }],
};

function messageOf(value: unknown): string {
  try {
    parseConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseConfig", () => {
  it("accepts the documented shape, with optional filters absent", () => {
    expect(parseConfig(valid).subscriptions[0]?.id).toBe("audit");
  });

  it("accepts the sample config shipped in the repository", () => {
    expect(loadConfigFile("config/webhooks.sample.json").sources.map((s) => s.id)).toEqual([
      "gh",
      "stripe",
      "sw",
    ]);
  });

  it("names the field and the allowed values for an unknown provider", () => {
    const message = messageOf({ ...valid, sources: [{ id: "x", provider: "paypal", secrets: ["s"] }] });
    expect(message).toContain("sources[0].provider");
    expect(message).toContain('"stripe"');
  });

  it("names a subscription source that does not exist and lists the known ones", () => {
    const message = messageOf({
      ...valid,
      subscriptions: [{ id: "a", sources: ["strip"], target: { type: "queue" } }],
    });
    expect(message).toContain("subscriptions[0].sources[0]: unknown source 'strip'; known sources: stripe");
  });

  it("rejects duplicate ids, ids unfit for queue names, and typos in field names", () => {
    expect(messageOf({ ...valid, sources: [valid.sources[0], valid.sources[0]] })).toContain(
      "sources[1].id: duplicate source id 'stripe'",
    );
    expect(
      messageOf({ ...valid, subscriptions: [{ id: "Billing_1", target: { type: "queue" } }] }),
    ).toContain("subscriptions[0].id");
    expect(
      messageOf({ ...valid, subscriptions: [{ id: "a", target: { type: "queue" }, eventType: ["x"] }] }),
    ).toContain("eventType");
  });

  it("names every duplicate source and subscription id at its own index", () => {
    const message = messageOf({
      sources: [valid.sources[0], { id: "gh", provider: "github", secrets: ["s"] }, valid.sources[0]],
      subscriptions: [valid.subscriptions[0], valid.subscriptions[0], valid.subscriptions[0]],
    });
    expect(message).toContain("sources[2].id: duplicate source id 'stripe'");
    expect(message).toContain("subscriptions[1].id: duplicate subscription id 'audit'");
    expect(message).toContain("subscriptions[2].id: duplicate subscription id 'audit'");
    expect(message).not.toContain("sources[0].id");
    expect(message).not.toContain("subscriptions[0].id");
  });

  it("requires an http(s) URL and a secret for HTTP targets", () => {
    const message = messageOf({
      ...valid,
      subscriptions: [{ id: "a", target: { type: "http", url: "ftp://x" } }],
    });
    expect(message).toContain("subscriptions[0].target.url: must be an http(s) URL");
    expect(message).toContain("subscriptions[0].target.secret");
  });

  it("names an outbound signing key that cannot sign, and how to write one", () => {
    const target = (secret: unknown) => ({
      ...valid,
      subscriptions: [{ id: "a", target: { type: "http", url: "https://x.test", secret } }],
    });
    expect(messageOf(target("hunter2"))).toContain(
      "subscriptions[0].target.secret: an outbound signing key must start with whsec_",
    );
    expect(messageOf(target(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsk_AAAA"]))).toContain(
      "subscriptions[0].target.secret[1]: a whsk_ signing key must be whsk_ + base64 of a 32-byte ed25519 seed",
    );
    expect(
      parseConfig(
        target(["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `whsk_${Buffer.alloc(32, 7).toString("base64")}`]),
      ).subscriptions,
    ).toHaveLength(1);
  });

  it("refuses a dedupe window shorter than twice the timestamp tolerance, naming both fields and the minimum", () => {
    const source = (extra: object) => ({
      ...valid,
      sources: [{ id: "stripe", provider: "stripe", secrets: ["whsec_x"], ...extra }],
    });
    expect(messageOf(source({ dedupeWindowSeconds: 60, toleranceSeconds: 600 }))).toContain(
      "sources[0].dedupeWindowSeconds: dedupeWindowSeconds (60) must be at least 2 × toleranceSeconds (600), i.e. 1200",
    );
    // Only the window given: the default tolerance (300) applies.
    expect(messageOf(source({ dedupeWindowSeconds: 599 }))).toContain(
      "sources[0].dedupeWindowSeconds: dedupeWindowSeconds (599) must be at least 2 × toleranceSeconds (300, the default), i.e. 600",
    );
    expect(parseConfig(source({ dedupeWindowSeconds: 600 })).sources[0]?.dedupeWindowSeconds).toBe(600);
    expect(parseConfig(source({ dedupeWindowSeconds: 1200, toleranceSeconds: 600 })).sources).toHaveLength(1);
    // A tolerance alone keeps the provider's retry horizon (a day or more) as the window.
    expect(parseConfig(source({ toleranceSeconds: 3_600 })).sources).toHaveLength(1);
  });

  it("accepts a Secrets Manager reference in place of an inline secret", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-AbCdEf";
    const config = parseConfig({
      ...valid,
      sources: [{ id: "stripe", provider: "stripe", secrets: [{ secretArn: arn }] }],
    });
    expect(config.sources[0]?.secrets?.[0]).toEqual({ secretArn: arn });
  });
});

describe("ops.auth (who may call the ops API in AWS)", () => {
  const jwt = {
    type: "jwt",
    issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x",
    audience: ["ops"],
  };

  it("accepts a JWT authorizer with scopes or groups, IAM, and no ops API at all", () => {
    expect(parseConfig({ ...valid, ops: { auth: jwt } }).ops?.auth).toEqual(jwt);
    const groups = { ...jwt, groupsClaim: "cognito:groups", readGroup: "viewers", writeGroup: "admins" };
    expect(parseConfig({ ...valid, ops: { auth: groups } }).ops?.auth).toEqual(groups);
    expect(parseConfig({ ...valid, ops: { auth: { type: "iam" } } }).ops?.auth).toEqual({ type: "iam" });
    expect(parseConfig({ ...valid, ops: {} }).ops?.auth).toBeUndefined();
  });

  it("names each bad field of a JWT authorizer and what it must be", () => {
    const message = messageOf({
      ...valid,
      ops: { auth: { type: "jwt", issuer: "http://issuer.example.com", audience: [], writeScope: "a b" } },
    });
    expect(message).toContain("ops.auth.issuer: must be the https URL of the OIDC issuer");
    expect(message).toContain("ops.auth.audience: needs at least one audience");
    expect(message).toContain("ops.auth.writeScope: must be one non-empty word without spaces");
  });

  it("names an unknown authorizer type and the two it knows", () => {
    expect(messageOf({ ...valid, ops: { auth: { type: "cognito" } } })).toContain(
      'ops.auth.type: must be { "type": "jwt", "issuer", "audience" } or { "type": "iam" }',
    );
  });

  it("refuses a groups claim that no group rule reads", () => {
    expect(messageOf({ ...valid, ops: { auth: { ...jwt, groupsClaim: "groups" } } })).toContain(
      "ops.auth.groupsClaim: names where readGroup/writeGroup are looked up; set one of them or remove groupsClaim",
    );
  });
});

describe("loadConfigFile", () => {
  it("says which file is not JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "cfg-"));
    const path = join(dir, "bad.json");
    writeFileSync(path, "{ nope");
    expect(() => loadConfigFile(path)).toThrow(`Webhooks config at ${path} is not valid JSON`);
  });

  it("says which file cannot be read", () => {
    expect(() => loadConfigFile("/nonexistent/webhooks.json")).toThrow(
      "Cannot read webhooks config at /nonexistent/webhooks.json",
    );
  });
});

describe("delivery destinations policy", () => {
  it("keeps a deployed stack's deliver function on the production SSRF policy unless the config opts out", async () => {
    const { buildTopology } = await import("../../../shared/topology/topology.js");
    const { ENV } = await import("../../../shared/config/env.js");
    const http = {
      id: "h",
      target: {
        type: "http",
        url: "https://example.test/",
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      },
    };
    const envOf = (extra: object) =>
      buildTopology(parseConfig({ sources: [], subscriptions: [http], ...extra }), {
        prefix: "p",
      }).functions.find((f) => f.key === "deliver")?.environment[ENV.allowPrivateDestinations];
    expect(envOf({})).toBe("false");
    expect(envOf({ allowPrivateDestinations: true })).toBe("true");
  });
});
