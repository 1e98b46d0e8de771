import { Client } from "@smithy/core/client";
import { denialMessage, firstDenied, type LocalPolicy } from "./iam-policy.js";

/**
 * Installed in a function's sandbox before its handler loads: every AWS SDK call the function makes is
 * checked against its policy (its topology grants), and one the deployed role would refuse fails the
 * way AWS fails it — a client error named `AccessDeniedException`, HTTP 400, with AWS's message — so
 * the handler's own error handling runs as it would in AWS. Every SDK v3 client extends smithy's
 * `Client`, whose `send` every call goes through.
 */

/** Thrown for a refused call; shaped like the SDK's modeled service exceptions. */
export class AccessDeniedException extends Error {
  override readonly name = "AccessDeniedException";
  readonly $fault = "client";
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId: string };
  readonly Message: string;
  constructor(message: string) {
    super(message);
    this.Message = message;
    this.$metadata = { httpStatusCode: 400, requestId: crypto.randomUUID() };
  }
}

interface Command {
  readonly input?: Readonly<Record<string, unknown>>;
}

interface SdkClient {
  readonly config: { readonly serviceId?: unknown };
}
type Send = (this: SdkClient, command: Command, ...rest: unknown[]) => unknown;

/** Refused calls, counted per action, for tests and the runtime's log. */
export const denials: { action: string; resource: string }[] = [];

export function installIamGuard(policy: LocalPolicy, onDenied?: (message: string) => void): void {
  const proto = Client.prototype as unknown as { send: Send; __iamGuard?: true };
  if (proto.__iamGuard) throw new Error("The local IAM guard is already installed in this sandbox.");
  const send = proto.send;
  proto.send = function guardedSend(this: SdkClient, command, ...rest) {
    const service = String(this.config.serviceId ?? "unknown");
    const operation = command.constructor.name.replace(/Command$/, "");
    const denied = firstDenied(policy, service, operation, command.input ?? {});
    if (denied) {
      const message = denialMessage(policy, denied);
      denials.push(denied);
      onDenied?.(message);
      const error = new AccessDeniedException(message);
      const callback = rest.find((r) => typeof r === "function") as ((e: unknown) => void) | undefined;
      if (callback) {
        callback(error);
        return undefined;
      }
      return Promise.reject(error);
    }
    return send.call(this, command, ...rest);
  };
  proto.__iamGuard = true;
}
