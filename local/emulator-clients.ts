import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { LOCAL_AWS_ENV } from "./emulators.js";

/** Region and credentials for an SDK client of the local emulators (they accept any). */
export const LOCAL_CLIENT_CONFIG = {
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: {
    accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  },
} as const;

/** SQS, DynamoDB and S3 clients of the emulators; fauxqs serves S3 on the SQS endpoint, path-style. */
export function emulatorClients(endpoints: { readonly sqs: string; readonly dynamodb: string }): {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
} {
  return {
    sqs: new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoints.sqs }),
    dynamodb: new DynamoDBClient({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoints.dynamodb }),
    s3: new S3Client({ ...LOCAL_CLIENT_CONFIG, endpoint: endpoints.sqs, forcePathStyle: true }),
  };
}
