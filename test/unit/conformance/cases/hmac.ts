import { createHmac } from "node:crypto";
import { BASE_URL } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Generic HMAC: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

const HMAC_KEY = Buffer.from("8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92", "hex");

export const hmacCases: ConformanceCase[] = [
  {
    provider: "hmac",
    name: "sha256, base64 signature, hex key, id and timestamp in the template",
    origin: "independent-signer",
    secrets: [HMAC_KEY.toString("hex")],
    options: {
      algorithm: "sha256",
      header: "X-Acme-Signature",
      prefix: "v1=",
      encoding: "base64",
      secretEncoding: "hex",
      timestampHeader: "X-Acme-Timestamp",
      idHeader: "X-Acme-Delivery",
      eventTypeHeader: "X-Acme-Event",
      signedContent: "{id}:{timestamp}:{body}",
    },
    build: (now) => {
      const body = JSON.stringify({ type: "ignored.in.favour.of.header", data: { n: 1 } });
      const id = "dlv_01HZX3";
      const signature = createHmac("sha256", HMAC_KEY).update(`${id}:${now}:${body}`).digest("base64");
      return {
        headers: {
          "x-acme-signature": `v1=${signature}`,
          "x-acme-timestamp": String(now),
          "x-acme-delivery": id,
          "x-acme-event": "invoice.settled",
          "content-type": "application/json",
        },
        body: Buffer.from(body),
        url: `${BASE_URL}/acme`,
        method: "POST",
      };
    },
    expected: { deliveryId: "dlv_01HZX3", deliveryIdSigned: true, eventType: "invoice.settled" },
    bodySigned: true,
    credentialHeaders: ["x-acme-signature", "x-acme-timestamp", "x-acme-delivery"],
    idHeader: "x-acme-delivery",
    otherSecrets: ["00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"],
  },
];
