import { Stack } from "aws-cdk-lib";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type { IConstruct } from "constructs";
import { BUNDLING } from "../../shared/topology/bundling.js";
import type { EnvValue } from "../../shared/topology/topology.js";
import type { WebhookTables } from "./stateful.js";

/** Where the deployed bundle keeps the config file (`afterBundling` copies it there). */
export const DEPLOYED_CONFIG_PATH = `/var/task/${BUNDLING.configFileName}`;

export interface EnvironmentResources {
  readonly tables: WebhookTables;
  readonly payloadBucket: s3.IBucket;
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
      case "queue-url-prefix":
        return queueUrlPrefix(scope);
      case "table-name":
        return resources.tables[value.table].tableName;
      case "bucket-name":
        return resources.payloadBucket.bucketName;
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
