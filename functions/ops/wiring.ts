import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  createDynamoDbClient,
  createPayloadStore,
  createSqsClient,
} from "../../shared/adapters/aws-clients.js";
import { CloudWatchQueueMetrics } from "../../shared/adapters/cloudwatch-queue-metrics.js";
import { opsAdapters } from "../../shared/adapters/ops-adapters.js";
import { SqsJobQueue } from "../../shared/adapters/sqs-job-queue.js";
import { SqsMessageQueue } from "../../shared/adapters/sqs-message-queue.js";
import { queueUrlsByPrefix } from "../../shared/adapters/sqs-subscription-queues.js";
import { ENV, optionalEnv, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { systemClock } from "../../shared/ports/clock.js";
import type { PayloadStore } from "../../shared/ports/event-store.js";
import { OPS_TIMEOUT_SECONDS } from "../../shared/topology/durations.js";
import { queueNames } from "../../shared/topology/names.js";
import { createOpsUseCases } from "../../shared/use-cases/ops/create-ops-use-cases.js";
import type { OpsUseCases } from "../../shared/use-cases/ops/ops-use-cases.js";
import type { ReplayRecord } from "../../shared/use-cases/ops/replay-record.js";

/** A value made on first use, then kept (the S3 client only for events whose body is in the bucket). */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

/**
 * The ops function's composition root: the config (its `ops.auth` decides read and write) and the ops
 * use cases on the real adapters, from the function's environment (the topology sets it). Replays
 * continue through the stack's ops jobs queue (one slice per message, each well inside the function's
 * timeout). Queue ages come from CloudWatch in AWS; the local emulators have no CloudWatch (their
 * endpoint variables are set), so there the health table leaves ages out.
 */
export function createOpsWiring(env: NodeJS.ProcessEnv = process.env): {
  readonly config: WebhooksConfig;
  readonly useCases: OpsUseCases;
} {
  const config = loadConfigFile(requireEnv(ENV.config, env));
  const prefix = requireEnv(ENV.resourcePrefix, env);
  const urlPrefix = requireEnv(ENV.queueUrlPrefix, env);
  const sqs = createSqsClient(env);
  const payloads: () => PayloadStore = once(() => createPayloadStore(env));
  const onEmulators = optionalEnv(ENV.sqsEndpoint, env) !== undefined;
  const useCases = createOpsUseCases(
    {
      config,
      ...opsAdapters<ReplayRecord>({
        dynamodb: createDynamoDbClient(env),
        sqs,
        tables: { events: requireEnv(ENV.eventTable, env), delivery: requireEnv(ENV.deliveryTable, env) },
        prefix,
        locate: queueUrlsByPrefix(urlPrefix),
        payloads,
        clock: systemClock,
      }),
      jobs: new SqsJobQueue(new SqsMessageQueue(sqs), `${urlPrefix}${queueNames.opsJobs(prefix)}`),
      ...(onEmulators
        ? {}
        : {
            queueMetrics: new CloudWatchQueueMetrics(new CloudWatchClient({}), (id) =>
              queueNames.subscription(prefix, id),
            ),
          }),
    },
    // A slice stops at a third of the timeout: reads in flight and the next job's send fit in the rest.
    { sliceMs: (OPS_TIMEOUT_SECONDS * 1000) / 3 },
  );
  return { config, useCases };
}
