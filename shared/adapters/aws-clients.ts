import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ENV, optionalEnv, requireEnv } from "../config/env.js";
import type { PayloadStore } from "../ports/event-store.js";
import { S3PayloadStore } from "./s3-payload-store.js";

/**
 * SDK clients, created once per container. Endpoints point at the local emulators when the local
 * runtime sets them; in AWS they are unset and the SDK's defaults apply.
 */
export function createSqsClient(env: NodeJS.ProcessEnv = process.env): SQSClient {
  const endpoint = optionalEnv(ENV.sqsEndpoint, env);
  return new SQSClient(endpoint ? { endpoint } : {});
}

export function createDynamoDbClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  const endpoint = optionalEnv(ENV.dynamodbEndpoint, env);
  return new DynamoDBClient(endpoint ? { endpoint } : {});
}

/**
 * The payload bucket (bodies too large for their event item). The S3 SDK loads on the first large body
 * only; locally the bucket lives on the SQS emulator's endpoint (fauxqs serves S3 too), path-style.
 */
export function createPayloadStore(env: NodeJS.ProcessEnv = process.env): PayloadStore {
  const endpoint = optionalEnv(ENV.s3Endpoint, env);
  return new S3PayloadStore(
    requireEnv(ENV.payloadBucket, env),
    (sdk) => new sdk.S3Client(endpoint ? { endpoint, forcePathStyle: true } : {}),
  );
}
