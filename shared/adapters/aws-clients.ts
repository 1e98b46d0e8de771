import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ENV, optionalEnv } from "../config/env.js";

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
