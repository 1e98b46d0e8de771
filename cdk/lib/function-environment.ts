import { Stack } from "aws-cdk-lib";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import { BUNDLING } from "../../shared/topology/bundling.js";
import type { EnvValue } from "../../shared/topology/topology.js";
import type { WebhookTables } from "./stateful.js";

/** Where the deployed bundle keeps the config file (`afterBundling` copies it there). */
export const DEPLOYED_CONFIG_PATH = `/var/task/${BUNDLING.configFileName}`;

export interface EnvironmentResources {
  readonly tables: WebhookTables;
  /** Looks a queue up by topology key; throws for an unknown key. */
  readonly queueByKey: (key: string) => sqs.IQueue;
}

/** `https://sqs.<region>.<suffix>/<account>/`: prefix of every queue URL of the stack `scope` is in. */
export function queueUrlPrefix(scope: IConstruct): string {
  const stack = Stack.of(scope);
  return `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/`;
}

/** Turns the topology's environment (literals and references) into Lambda environment values. */
export function resolveEnvironment(
  scope: IConstruct,
  environment: Readonly<Record<string, EnvValue>>,
  resources: EnvironmentResources,
): Record<string, string> {
  const resolve = (value: EnvValue): string => {
    if (typeof value === "string") return value;
    switch (value.ref) {
      case "queue-url":
        return resources.queueByKey(value.queue).queueUrl;
      case "queue-url-prefix":
        return queueUrlPrefix(scope);
      case "table-name":
        return resources.tables.dedupe.tableName;
      case "delivery-table-name":
        return resources.tables.delivery.tableName;
      case "config-path":
        return DEPLOYED_CONFIG_PATH;
      default: {
        const unknown: never = value;
        throw new Error(`Unknown environment reference ${JSON.stringify(unknown)}.`);
      }
    }
  };
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, resolve(value)]));
}
