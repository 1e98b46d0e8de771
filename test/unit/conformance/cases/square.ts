import { mac, request, vector } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Square: conformance cases built from the provider's published vector, and an independent signer
 * written from the provider's documentation on node:crypto alone (it shares no code with
 * shared/verify).
 */

const squareVector = vector("square-sdk");

export const squareCases: ConformanceCase[] = [
  {
    provider: "square",
    name: "published vector (square SDK test)",
    origin: "published-vector",
    secrets: [squareVector.secret ?? ""],
    build: () => request(squareVector.headers, squareVector.body, squareVector.url),
    expected: {
      deliveryId: "ac3ac95b-f97d-458c-a6e6-18981597e05f",
      deliveryIdSigned: true,
      eventType: "webhooks.test_notification",
    },
    bodySigned: true,
    credentialHeaders: ["x-square-hmacsha256-signature"],
    otherSecrets: ["Ibxx_5AKakO-3qeNVR61DW"],
  },
  {
    provider: "square",
    name: "payment.updated behind a custom domain (options.publicUrl)",
    origin: "independent-signer",
    secrets: ["square-signature-key"],
    options: { publicUrl: "https://pay.example.test/square" },
    build: () => {
      const body = JSON.stringify({
        merchant_id: "6SSW7HV8K2ST5",
        type: "payment.updated",
        event_id: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
        data: { type: "payment", id: "KkAkhdMsgzn59SM8A89WgKwekxLZY" },
      });
      const signature = mac("sha256", "square-signature-key", "https://pay.example.test/square", body);
      return request(
        { "x-square-hmacsha256-signature": signature.toString("base64"), "content-type": "application/json" },
        body,
      );
    },
    expected: {
      deliveryId: "13b867cf-db3d-4b1c-90b6-2f32a9d78124",
      deliveryIdSigned: true,
      eventType: "payment.updated",
    },
    bodySigned: true,
    credentialHeaders: ["x-square-hmacsha256-signature"],
    otherSecrets: ["square-signature-keY"],
  },
];
