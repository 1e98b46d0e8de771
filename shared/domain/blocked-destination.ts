/**
 * How a refused destination shows up in an `AttemptOutcome`: an error of class `network` whose
 * message starts with this prefix. Kept in the domain so the delivery policy can treat it as a
 * permanent failure (retrying cannot make a refused address acceptable) without importing adapters.
 */
export const BLOCKED_DESTINATION_PREFIX = "destination blocked:";

/** `true` for the message of an outcome produced by refusing the destination (SSRF guard). */
export function isBlockedDestinationMessage(message: string): boolean {
  return message.startsWith(BLOCKED_DESTINATION_PREFIX);
}
