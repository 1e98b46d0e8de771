import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDbDeliveryStore } from "../shared/adapters/dynamodb-delivery-store.js";
import { ENV } from "../shared/config/env.js";
import { tableNames } from "../shared/topology/topology.js";
import { breakerStatus, closeBreaker } from "./breaker.js";
import { dlqDepth, replayDlq, resolveSubscriptionQueues } from "./dlq.js";

const USAGE = `Usage: npm run ops -- <command> [options]

Dead-letter queues:
  dlq list <subscriptionId> [--max N]     show what sits in a subscription's DLQ and why (messages stay)
  dlq replay <subscriptionId> [--max N]   move DLQ messages back onto the subscription's queue
  dlq depth <subscriptionId>              number of messages in the DLQ

Attempt log:
  attempts event <eventId>                every delivery attempt of one event, oldest first
  attempts subscription <id> [--max N]    a subscription's latest attempts, newest first

Subscriptions:
  subscription pause <id>                 hold deliveries (messages wait in the queue; nothing is dropped)
  subscription resume <id>                deliver again (also re-enables one its receiver disabled)
  subscription status <id>                paused / disabled, and why

Circuit breakers (one per destination origin, shared by every subscription that delivers there):
  breaker status <url>                    closed / open / half-open, until when, the failure-rate window
  breaker close <url>                     close it now (the receiver is back): new messages go at once,
                                          parked ones when their parking delay ends, with no probe

Options:
  --prefix P    resource prefix of the stack: webhooks-<stage> for a deployed stack
                (default: the local stack from ${ENV.localState}, else webhooks-local)
  --max N       at most N items (default 100)

Against AWS, the usual credentials and AWS_REGION apply. Locally, the endpoints come from the state
file that npm start writes.`;

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
const [group, command, target] = args;
const commands: Record<string, readonly string[]> = {
  dlq: ["list", "replay", "depth"],
  attempts: ["event", "subscription"],
  subscription: ["pause", "resume", "status"],
  breaker: ["status", "close"],
};
if (!group || !command || !commands[group]?.includes(command)) fail("Unknown command.");
if (!target) {
  fail(
    `Name the ${group === "attempts" && command === "event" ? "event id" : group === "breaker" ? "destination URL" : "subscription"}.`,
  );
}

const statePath = resolve(process.env[ENV.localState] ?? ".local/stack.json");
const local =
  prefixFlag === undefined && existsSync(statePath)
    ? (JSON.parse(readFileSync(statePath, "utf8")) as { sqsEndpoint: string; dynamodbEndpoint: string })
    : undefined;
const localClient = (endpoint: string) => ({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});
const prefix = prefixFlag ?? "webhooks-local";
const sqs = () => new SQSClient(local ? localClient(local.sqsEndpoint) : {});
const store = () =>
  new DynamoDbDeliveryStore(
    new DynamoDBClient(local ? localClient(local.dynamodbEndpoint) : {}),
    tableNames.delivery(prefix),
  );

try {
  if (group === "dlq") {
    const client = sqs();
    const pair = await resolveSubscriptionQueues(client, prefix, target);
    if (command === "depth") {
      console.log(await dlqDepth(client, pair.dlqUrl));
    } else {
      const messages = await replayDlq(client, pair, { max, dryRun: command === "list" });
      for (const m of messages) console.log(JSON.stringify(m));
      console.error(
        command === "list"
          ? `${messages.length} message(s) in the DLQ of '${target}'.`
          : `Replayed ${messages.length} message(s) onto ${pair.queueUrl}.`,
      );
    }
  } else if (group === "attempts") {
    const attempts =
      command === "event"
        ? await store().attemptsForEvent(target)
        : await store().attemptsForSubscription(target, max);
    for (const a of attempts) console.log(JSON.stringify({ ...a, at: new Date(a.at).toISOString() }));
    console.error(`${attempts.length} attempt(s).`);
  } else if (group === "breaker") {
    if (command === "status") {
      console.log(JSON.stringify(await breakerStatus(store(), target)));
    } else {
      const before = await closeBreaker(store(), target);
      console.log(JSON.stringify(before));
      console.error(`Closed the breaker of ${before.destination} (it was ${before.state}).`);
    }
  } else {
    const s = store();
    const current = await s.subscriptionState(target);
    if (command === "status") {
      console.log(JSON.stringify(current));
    } else {
      const paused = command === "pause";
      await s.setSubscriptionState(target, { paused, changedAt: new Date().toISOString() });
      console.error(
        paused
          ? `Paused '${target}': deliveries wait in its queue (checked every minute) until it is resumed.`
          : `Resumed '${target}'${current.disabledReason ? ` (it had been disabled: ${current.disabledReason})` : ""}.`,
      );
    }
  }
} catch (error) {
  console.error(`ops ${group} ${command} failed: ${(error as Error).message}`);
  process.exit(1);
}
