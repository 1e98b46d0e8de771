import { type KeyObject, sign } from "node:crypto";
import { BASE_URL, ec256 } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * SendGrid: conformance cases built from the provider's published vector, and an independent signer
 * written from the provider's documentation on node:crypto alone (it shares no code with
 * shared/verify).
 */

// SendGrid: P-256 keys shown as base64 SPKI.
const sendgrid = ec256();
const sendgridOther = ec256();
const spkiBase64 = (key: KeyObject) => key.export({ format: "der", type: "spki" }).toString("base64");
const sendgridBody = `${JSON.stringify([
  {
    email: "alex@example.com",
    event: "processed",
    sg_event_id: "rbtnWrG1DVDGGGFHFyun0A==",
    sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
    timestamp: 1513299569,
  },
  {
    email: "alex@example.com",
    event: "delivered",
    sg_event_id: "Bn2nEAmwtEzC8IJ0vRRwKg==",
    sg_message_id: "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000",
    timestamp: 1513299570,
  },
])}\r\n`;

// SendGrid's own SDK test vector (sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js).
const SENDGRID_VECTOR = {
  publicKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==",
  otherKey:
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==",
  signature:
    "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=",
  timestamp: "1588788367",
  body: JSON.stringify({ category: "example_payload", event: "test_event", message_id: "message_id" }),
};

export const sendgridCases: ConformanceCase[] = [
  {
    provider: "sendgrid",
    name: "published vector from the official SDK's tests",
    origin: "published-vector",
    secrets: [SENDGRID_VECTOR.publicKey],
    nowSeconds: Number(SENDGRID_VECTOR.timestamp),
    build: () => ({
      headers: {
        "x-twilio-email-event-webhook-signature": SENDGRID_VECTOR.signature,
        "x-twilio-email-event-webhook-timestamp": SENDGRID_VECTOR.timestamp,
      },
      body: Buffer.from(SENDGRID_VECTOR.body),
      url: `${BASE_URL}/sendgrid`,
      method: "POST",
    }),
    expected: { eventType: "test_event" },
    bodySigned: true,
    credentialHeaders: ["x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp"],
    otherSecrets: [SENDGRID_VECTOR.otherKey],
  },
  {
    provider: "sendgrid",
    name: "ECDSA P-256 over timestamp + body, DER signature, base64 SPKI key",
    origin: "independent-signer",
    secrets: [spkiBase64(sendgrid.publicKey)],
    build: (now) => {
      const timestamp = String(now);
      const signature = sign("sha256", Buffer.from(timestamp + sendgridBody), {
        key: sendgrid.privateKey,
        dsaEncoding: "der",
      });
      return {
        headers: {
          "x-twilio-email-event-webhook-signature": signature.toString("base64"),
          "x-twilio-email-event-webhook-timestamp": timestamp,
          "content-type": "application/json",
        },
        body: Buffer.from(sendgridBody),
        url: `${BASE_URL}/sendgrid`,
        method: "POST",
      };
    },
    expected: {
      deliveryId: "Bn2nEAmwtEzC8IJ0vRRwKg==,rbtnWrG1DVDGGGFHFyun0A==",
      deliveryIdSigned: true,
      eventType: "sendgrid.batch",
    },
    bodySigned: true,
    credentialHeaders: ["x-twilio-email-event-webhook-signature", "x-twilio-email-event-webhook-timestamp"],
    otherSecrets: [spkiBase64(sendgridOther.publicKey)],
  },
];
