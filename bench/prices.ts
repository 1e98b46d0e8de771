/**
 * us-east-1 list prices the cost model multiplies counted usage by. Each price names its source and the
 * day it was read; re-check them before quoting a figure (prices change, mostly downwards).
 * Free tiers are ignored: the model prices the marginal million webhooks.
 */
export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  readonly source: string;
  readonly checked: string;
}

const CHECKED = "2026-12-06";

export const PRICES = {
  dynamodbWriteUnit: {
    usd: 0.625 / 1e6,
    per: "write request unit (on demand; 1 KB of item, a refused conditional write costs one)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    checked: CHECKED,
  },
  dynamodbReadUnit: {
    usd: 0.125 / 1e6,
    per: "read request unit (on demand; 4 KB strongly consistent, or 8 KB eventually consistent)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
    checked: CHECKED,
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    per: "SQS standard request (each 64 KB chunk of a payload counts as one)",
    source: "https://aws.amazon.com/sqs/pricing/",
    checked: CHECKED,
  },
  httpApiRequest: {
    usd: 1.0 / 1e6,
    per: "API Gateway HTTP API request (per 512 KB)",
    source: "https://aws.amazon.com/api-gateway/pricing/",
    checked: CHECKED,
  },
  functionUrlRequest: {
    usd: 0,
    per: "Lambda Function URL request (billed as the invocation only)",
    source: "https://aws.amazon.com/lambda/pricing/",
    checked: CHECKED,
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: "Lambda invocation",
    source: "https://aws.amazon.com/lambda/pricing/",
    checked: CHECKED,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: "GB-second of arm64 Lambda duration (init billed too since August 2025)",
    source: "https://aws.amazon.com/lambda/pricing/",
    checked: CHECKED,
  },
  s3Put: {
    usd: 5.0 / 1e6,
    per: "S3 Standard PUT",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: CHECKED,
  },
  s3Get: {
    usd: 0.4 / 1e6,
    per: "S3 Standard GET",
    source: "https://aws.amazon.com/s3/pricing/",
    checked: CHECKED,
  },
  logsIngestedGb: {
    usd: 0.5,
    per: "GB of CloudWatch Logs ingested (standard class; embedded metrics are log lines too)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
    checked: CHECKED,
  },
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;

/** Anchors the README compares with (per million events), as their public price pages list them. */
export const ANCHORS = {
  hookdeck: "$3.30–10 per million events",
  svix: "$100 per million messages",
  eventBridge: "$1.00 per million events + $0.20 per million API-destination calls",
} as const;
