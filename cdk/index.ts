/**
 * The package's entry point (`import { WebhooksPlatform } from "webhooks-platform"`): the CDK construct,
 * its props, and the config types and helpers a consumer needs to build or check a config in code.
 */

export { ConfigError, loadConfigFile, parseConfig } from "../shared/config/load-config.js";
export {
  configSchema,
  type HttpTarget,
  type SecretRef,
  type SourceConfig,
  type SubscriptionConfig,
  type WebhooksConfig,
} from "../shared/config/schema.js";
export type { FunctionKey, QueueSpec, Topology } from "../shared/topology/topology.js";
export {
  type PropProblem,
  WebhooksPlatformError,
  type WebhooksPlatformProps,
} from "./lib/platform-props.js";
export type { WebhookQueue, WebhooksStateful, WebhookTables } from "./lib/stateful.js";
export type { WebhooksStateless } from "./lib/stateless.js";
export { WebhooksPlatform } from "./lib/webhooks-platform.js";
