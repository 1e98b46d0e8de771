import { type LocalJwksServer, publicJwk, signJws, startJwksServer } from "../../../support/jws.js";
import { rsa2048 } from "../case-kit.js";
import type { ConformanceCase } from "../contract.js";

/**
 * Google Pub/Sub push: conformance cases built from an independent signer written from the provider's
 * documentation on node:crypto alone (it shares no code with shared/verify).
 */

// Google Pub/Sub: RS256 OIDC token from a local JWKS server, plus the optional URL verification token.
const google = rsa2048();
const GOOGLE_KID = "f5f4bf46e52b31d9b6249f7309ad0338400680cd";
const PUBSUB_AUDIENCE = "https://hooks.example.test/webhooks/pubsub";
const PUBSUB_EMAIL = "pubsub-push@example-project.iam.gserviceaccount.com";
let googleJwks: Promise<LocalJwksServer> | undefined;
let googleJwksUrl: string | undefined;
const startGoogleJwks = async () => {
  googleJwks ??= startJwksServer([publicJwk(google.privateKey, GOOGLE_KID, "RS256")]);
  const server = await googleJwks;
  googleJwksUrl = server.url;
  return server;
};
const pubsubBody = JSON.stringify({
  message: {
    attributes: { eventType: "OBJECT_FINALIZE", bucketId: "example-bucket" },
    data: Buffer.from(JSON.stringify({ name: "report.csv" })).toString("base64"),
    messageId: "2070443601311540",
    message_id: "2070443601311540",
    publishTime: "2021-02-26T19:13:55.749Z",
    publish_time: "2021-02-26T19:13:55.749Z",
  },
  subscription: "projects/example-project/subscriptions/webhooks-push",
});

export const googlePubsubCases: ConformanceCase[] = [
  {
    provider: "google-pubsub",
    name: "push with an OIDC token from a local JWKS, and a URL verification token",
    origin: "independent-signer",
    secrets: ["pubsub-verification-token-1"],
    get options() {
      // Read by the suite after `build` started the key server.
      return {
        audience: PUBSUB_AUDIENCE,
        serviceAccountEmail: PUBSUB_EMAIL,
        jwksUrl: googleJwksUrl ?? "http://127.0.0.1:9/not-started",
      };
    },
    build: async (now) => {
      await startGoogleJwks();
      const token = signJws(
        { alg: "RS256", kid: GOOGLE_KID, typ: "JWT" },
        {
          aud: PUBSUB_AUDIENCE,
          azp: "118107166433431178000",
          email: PUBSUB_EMAIL,
          email_verified: true,
          exp: now + 3600,
          iat: now,
          iss: "https://accounts.google.com",
          sub: "118107166433431178000",
        },
        google.privateKey,
      );
      return {
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: Buffer.from(pubsubBody),
        url: `${PUBSUB_AUDIENCE}?token=pubsub-verification-token-1`,
        method: "POST",
      };
    },
    expected: { deliveryId: "2070443601311540", deliveryIdSigned: false, eventType: "OBJECT_FINALIZE" },
    bodySigned: false,
    credentialHeaders: ["authorization"],
    otherSecrets: ["pubsub-verification-token-0"],
    close: async () => {
      if (googleJwks) await (await googleJwks).close();
    },
  },
];
