import { Annotations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { blockedOnceDeployed } from "../../shared/config/deployed-destinations.js";
import type { WebhooksConfig } from "../../shared/config/schema.js";

/** The acknowledgement id of the warning (`cdk synth --strict` turns it into an error). */
export const BLOCKED_DESTINATION_WARNING = "webhooks:blocked-destination";

/**
 * Warns, on `scope`, for every subscriber URL or `jwksUrl` the deployed SSRF guard would refuse, so
 * `cdk synth` says so and `cdk synth --strict` fails, instead of every delivery failing as `blocked`
 * (or every JWT as `503`) after the deploy.
 */
export function warnBlockedDestinations(scope: IConstruct, config: WebhooksConfig): void {
  for (const blocked of blockedOnceDeployed(config)) {
    Annotations.of(scope).addWarningV2(BLOCKED_DESTINATION_WARNING, blocked.message);
  }
}
