/**
 * Typed errors of the ops commands. The CLI prints `message` as one line and exits with 2 for a usage
 * problem (the command line names something that does not exist or does not apply) and 1 otherwise.
 */
export const OPS_ERROR_CODES = {
  /** The command line is malformed: unknown command or option, missing argument. */
  usage: "usage",
  unknownSubscription: "unknown_subscription",
  /** The command does not apply to this subscription (pause on a queue subscription). */
  notApplicable: "not_applicable",
  /** Which stack, or which config, is not known. */
  noTarget: "no_target",
  /** The command would do harm in the current state (replay into a disabled subscription). */
  refused: "refused",
  /** Part of the work was done, part failed; the message says which. */
  partial: "partial",
} as const;
export type OpsErrorCode = (typeof OPS_ERROR_CODES)[keyof typeof OPS_ERROR_CODES];

const USAGE_CODES: ReadonlySet<OpsErrorCode> = new Set([
  OPS_ERROR_CODES.usage,
  OPS_ERROR_CODES.unknownSubscription,
  OPS_ERROR_CODES.notApplicable,
]);

export class OpsError extends Error {
  override readonly name = "OpsError";
  constructor(
    readonly code: OpsErrorCode,
    message: string,
  ) {
    super(message);
  }

  get exitCode(): 1 | 2 {
    return USAGE_CODES.has(this.code) ? 2 : 1;
  }
}
