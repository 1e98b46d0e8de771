import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { ENV } from "../shared/config/env.js";
import { dlqDepth, replayDlq, resolveSubscriptionQueues } from "./dlq.js";

const USAGE = `Usage: npm run ops -- <command> [options]

Commands:
  dlq list <subscriptionId> [--max N]     show what sits in a subscription's DLQ and why (messages stay)
  dlq replay <subscriptionId> [--max N]   move DLQ messages back onto the subscription's queue
  dlq depth <subscriptionId>              number of messages in the DLQ

Options:
  --prefix P    resource prefix of the stack: webhooks-<stage> for a deployed stack
                (default: the local stack from ${ENV.localState}, else webhooks-local)
  --max N       at most N messages (default 100)

Against AWS, the usual credentials and AWS_REGION apply. Locally, the SQS endpoint comes from the
state file that npm start writes.`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) fail(`${name} needs a value.`);
  args.splice(i, 2);
  return value;
};
const prefixFlag = flag("--prefix");
const maxFlag = flag("--max");
const max = maxFlag === undefined ? 100 : Number(maxFlag);
if (!Number.isInteger(max) || max < 1) fail(`--max must be a positive whole number, got '${maxFlag}'.`);
const [group, command, subscriptionId] = args;
if (group !== "dlq" || !command || !["list", "replay", "depth"].includes(command)) fail("Unknown command.");
if (!subscriptionId) fail("Name the subscription, e.g. npm run ops -- dlq list billing");

const statePath = resolve(process.env[ENV.localState] ?? ".local/stack.json");
const local = prefixFlag === undefined && existsSync(statePath);
const sqsEndpoint = local
  ? (JSON.parse(readFileSync(statePath, "utf8")) as { sqsEndpoint: string }).sqsEndpoint
  : undefined;
const sqs = new SQSClient(
  sqsEndpoint
    ? {
        endpoint: sqsEndpoint,
        region: "us-east-1",
        credentials: { accessKeyId: "local", secretAccessKey: "local" },
      }
    : {},
);
const prefix = prefixFlag ?? "webhooks-local";

try {
  const pair = await resolveSubscriptionQueues(sqs, prefix, subscriptionId);
  if (command === "depth") {
    console.log(await dlqDepth(sqs, pair.dlqUrl));
  } else {
    const messages = await replayDlq(sqs, pair, { max, dryRun: command === "list" });
    for (const m of messages) console.log(JSON.stringify(m));
    console.error(
      command === "list"
        ? `${messages.length} message(s) in the DLQ of '${subscriptionId}'.`
        : `Replayed ${messages.length} message(s) onto ${pair.queueUrl}.`,
    );
  }
} catch (error) {
  console.error(`ops ${command} failed: ${(error as Error).message}`);
  process.exit(1);
}
