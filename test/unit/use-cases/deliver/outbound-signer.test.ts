import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  outboundSignatureHeader,
  SIGNING_KEY_PREFIX,
} from "../../../../shared/use-cases/deliver/outbound-signer.js";
import { standardWebhooksVerifier } from "../../../../shared/verify/providers/standard-webhooks.js";
import { formatStandardWebhookPublicKey } from "../../../../shared/verify/sign.js";

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE";
const seed = randomBytes(32);
const SIGNING_KEY = `${SIGNING_KEY_PREFIX}${seed.toString("base64")}`;
const publicKey = formatStandardWebhookPublicKey(
  createPublicKey(
    createPrivateKey({
      key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]),
      format: "der",
      type: "pkcs8",
    }),
  ),
);
const message = {
  id: "evt_abc",
  timestamp: Math.floor(Date.now() / 1000),
  body: '{"specversion":"1.0","type":"x"}',
};
const headersFor = (signature: string) => ({
  "webhook-id": message.id,
  "webhook-timestamp": String(message.timestamp),
  "webhook-signature": signature,
});
const verifyWith = (secrets: string[], signature: string) =>
  standardWebhooksVerifier.verify(
    { headers: headersFor(signature), rawBody: Buffer.from(message.body) },
    { secrets, nowSeconds: message.timestamp, toleranceSeconds: 300 },
  );

describe("outboundSignatureHeader", () => {
  it("signs v1 with a whsec_ secret, verifiable by the standardwebhooks library", () => {
    const header = outboundSignatureHeader([OLD], message);
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(OLD).verify(message.body, headersFor(header))).toMatchObject({ type: "x" });
  });

  it("during a rotation carries one signature per key, so receivers holding either key verify", () => {
    const header = outboundSignatureHeader([OLD, NEW], message);
    expect(header.split(" ")).toHaveLength(2);
    expect(verifyWith([OLD], header).secretIndex).toBe(0);
    expect(verifyWith([NEW], header).secretIndex).toBe(0);
    expect(new Webhook(NEW).verify(message.body, headersFor(header))).toMatchObject({ type: "x" });
  });

  it("signs v1a with a whsk_ ed25519 key, verifiable with the matching whpk_ public key", () => {
    const header = outboundSignatureHeader([SIGNING_KEY, NEW], message);
    expect(header.split(" ").map((s) => s.split(",")[0])).toEqual(["v1a", "v1"]);
    expect(verifyWith([publicKey], header).secretIndex).toBe(0);
  });

  it("refuses a whsk_ key that is not a 32-byte seed", () => {
    expect(() => outboundSignatureHeader([`${SIGNING_KEY_PREFIX}AAAA`], message)).toThrow(TypeError);
  });
});
