import { afterAll, describe, expect, it } from "vitest";
import { dedupeInputFor, dedupeKeyFor } from "../../../shared/domain/dedupe-key.js";
import { SignatureVerificationError } from "../../../shared/domain/errors.js";
import { PROVIDERS, type ProviderName, parseProviderOptions } from "../../../shared/verify/catalog.js";
import { verifierFor } from "../../../shared/verify/registry.js";
import type { EventIdentity, InboundRequest } from "../../../shared/verify/types.js";
import { basicCases } from "./cases/basic.js";
import { githubCases } from "./cases/github.js";
import { googlePubsubCases } from "./cases/google-pubsub.js";
import { hmacCases } from "./cases/hmac.js";
import { hubspotCases } from "./cases/hubspot.js";
import { intercomCases } from "./cases/intercom.js";
import { jwtCases } from "./cases/jwt.js";
import { lemonsqueezyCases } from "./cases/lemonsqueezy.js";
import { linearCases } from "./cases/linear.js";
import { mailgunCases } from "./cases/mailgun.js";
import { paddleCases } from "./cases/paddle.js";
import { pagerdutyCases } from "./cases/pagerduty.js";
import { sendgridCases } from "./cases/sendgrid.js";
import { shopifyCases } from "./cases/shopify.js";
import { slackCases } from "./cases/slack.js";
import { squareCases } from "./cases/square.js";
import { standardWebhooksCases } from "./cases/standard-webhooks.js";
import { stripeCases } from "./cases/stripe.js";
import { svixCases } from "./cases/svix.js";
import { tokenCases } from "./cases/token.js";
import { twilioCases } from "./cases/twilio.js";
import { twitchCases } from "./cases/twitch.js";
import { zoomCases } from "./cases/zoom.js";
import type { ConformanceCase, ConformanceRequest } from "./contract.js";

/** Every provider's cases (`cases/<provider>.ts`); the type makes a provider without any a compile error. */
const casesByProvider: Readonly<Record<ProviderName, readonly ConformanceCase[]>> = {
  "standard-webhooks": standardWebhooksCases,
  svix: svixCases,
  stripe: stripeCases,
  github: githubCases,
  slack: slackCases,
  shopify: shopifyCases,
  twilio: twilioCases,
  square: squareCases,
  paddle: paddleCases,
  pagerduty: pagerdutyCases,
  linear: linearCases,
  intercom: intercomCases,
  hubspot: hubspotCases,
  zoom: zoomCases,
  twitch: twitchCases,
  mailgun: mailgunCases,
  sendgrid: sendgridCases,
  lemonsqueezy: lemonsqueezyCases,
  jwt: jwtCases,
  "google-pubsub": googlePubsubCases,
  hmac: hmacCases,
  token: tokenCases,
  basic: basicCases,
};

const cases: ConformanceCase[] = Object.values(casesByProvider).flat();

afterAll(async () => {
  await Promise.all(cases.map((c) => c.close?.()));
});

async function verify(
  c: ConformanceCase,
  request: ConformanceRequest,
  secrets: readonly string[],
  now: number,
) {
  const verifier = verifierFor(c.provider);
  const options = parseProviderOptions(c.provider, c.options);
  const inbound: InboundRequest = {
    headers: request.headers,
    rawBody: request.body,
    url: request.url,
    method: request.method,
  };
  const verified = await verifier.verify(inbound, {
    secrets,
    nowSeconds: now,
    toleranceSeconds: c.toleranceSeconds ?? 300,
    options,
  });
  let parsed: { value: unknown } | undefined;
  const json = () => {
    if (!parsed) {
      try {
        parsed = { value: JSON.parse(request.body.toString("utf8")) };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
  return {
    verified,
    identity: verifier.identify(inbound, json, { secret: secrets[verified.secretIndex], options }),
  };
}

async function rejects(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(SignatureVerificationError);
}

describe("conformance suite", () => {
  it("has at least one case for every provider", () => {
    const covered = new Set(cases.map((c) => c.provider));
    expect(PROVIDERS.filter((p) => !covered.has(p))).toEqual([]);
  });

  describe.each(cases.map((c) => [`${c.provider}: ${c.name} (${c.origin})`, c] as const))(
    "%s",
    (_label, c) => {
      const now = c.nowSeconds ?? Math.floor(Date.now() / 1000);

      it("verifies and reads the expected identity", async () => {
        const request = await c.build(now);
        const { identity } = await verify(c, request, c.secrets, now);
        expect(identity.eventType).toBe(c.expected.eventType);
        expect(identity.deliveryId).toBe(c.expected.deliveryId);
        expect(identity.deliveryIdSigned).toBe(c.expected.deliveryIdSigned);
        if (c.expected.reply) {
          expect(identity.reply?.statusCode).toBe(c.expected.reply.statusCode);
          expect(identity.reply?.body).toContain(c.expected.reply.bodyIncludes);
        } else {
          expect(identity.reply).toBeUndefined();
        }
      });

      it("verifies when the matching secret is the second of two (rotation)", async () => {
        const request = await c.build(now);
        const { verified } = await verify(c, request, [...c.otherSecrets.slice(0, 1), ...c.secrets], now);
        expect(verified.secretIndex).toBe(Math.min(1, c.otherSecrets.length));
      });

      it("rejects the request under other secrets of the same kind", async () => {
        const request = await c.build(now);
        await rejects(verify(c, request, c.otherSecrets, now));
      });

      it("rejects a request missing any credential header", async () => {
        const request = await c.build(now);
        for (const name of c.credentialHeaders) {
          const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k !== name));
          await rejects(verify(c, { ...request, headers }, c.secrets, now));
        }
      });
    },
  );

  describe.each(
    cases
      .filter((c) => c.idHeader !== undefined)
      .map((c) => [`${c.provider}: ${c.name} (${c.origin})`, c] as const),
  )("%s, whose delivery id is a header", (_label, c) => {
    const now = c.nowSeconds ?? Math.floor(Date.now() / 1000);
    const keyOf = (identity: EventIdentity, request: ConformanceRequest) =>
      dedupeKeyFor(
        dedupeInputFor({
          deliveryId: identity.deliveryId,
          deliveryIdSigned: identity.deliveryIdSigned,
          signsContent: verifierFor(c.provider).signsContent,
          signedContent: identity.signedContent,
          rawBody: request.body,
        }),
      );

    it(
      c.expected.deliveryIdSigned
        ? "rejects the request re-sent under a fresh delivery id (the id is signed)"
        : "maps the request re-sent under a fresh delivery id to the same dedupe key (the id is not signed)",
      async () => {
        const request = await c.build(now);
        const name = c.idHeader ?? "";
        expect(request.headers[name], `the request carries ${name}`).toBeDefined();
        const replay = { ...request, headers: { ...request.headers, [name]: "replayed-under-a-new-id" } };
        if (c.expected.deliveryIdSigned) {
          await rejects(verify(c, replay, c.secrets, now));
          return;
        }
        const original = await verify(c, request, c.secrets, now);
        const replayed = await verify(c, replay, c.secrets, now);
        expect(replayed.identity.deliveryId).toBe("replayed-under-a-new-id");
        expect(keyOf(replayed.identity, replay)).toBe(keyOf(original.identity, request));
      },
    );
  });

  describe.each(
    cases.filter((c) => c.bodySigned).map((c) => [`${c.provider}: ${c.name} (${c.origin})`, c] as const),
  )("%s, whose signature covers the body", (_label, c) => {
    const now = c.nowSeconds ?? Math.floor(Date.now() / 1000);

    it("rejects the request when one byte of the body changes", async () => {
      const request = await c.build(now);
      const body = Buffer.from(request.body);
      const at = Math.floor(body.length / 2);
      body[at] = (body[at] ?? 0) ^ 0x01;
      await rejects(verify(c, { ...request, body }, c.secrets, now));
    });
  });
});
