import { createDynamoDbClient, createPayloadStore } from "../../shared/adapters/aws-clients.js";
import { DynamoDbDeliveryStore } from "../../shared/adapters/dynamodb-delivery-store.js";
import { DynamoDbEventStore } from "../../shared/adapters/dynamodb-event-store.js";
import { ENV, requireEnv } from "../../shared/config/env.js";
import { loadConfigFile } from "../../shared/config/load-config.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";
import { systemClock } from "../../shared/ports/clock.js";
// PLACEHOLDER until the use-case branch is merged: that merge replaces this module (see its header).
import { createOpsUseCases } from "../../shared/use-cases/ops/create-ops-use-cases.js";
import type { OpsUseCases } from "../../shared/use-cases/ops/ops-use-cases.js";

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
 * use cases built on the real adapters, from the function's environment (the topology sets it).
 */
export function createOpsWiring(env: NodeJS.ProcessEnv = process.env): {
  readonly config: WebhooksConfig;
  readonly useCases: OpsUseCases;
} {
  const config = loadConfigFile(requireEnv(ENV.config, env));
  const dynamodb = createDynamoDbClient(env);
  const delivery = new DynamoDbDeliveryStore(dynamodb, requireEnv(ENV.deliveryTable, env));
  const useCases = createOpsUseCases({
    config,
    events: new DynamoDbEventStore(
      dynamodb,
      requireEnv(ENV.eventTable, env),
      once(() => createPayloadStore(env)),
    ),
    attempts: delivery,
    subscriptionStates: delivery,
    breakers: delivery,
    clock: systemClock,
  });
  return { config, useCases };
}
