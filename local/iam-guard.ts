import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import { Client } from "@smithy/core/client";
import { denialMessage, firstDenied, type LocalPolicy } from "./iam-policy.js";
import { type CallUsage, usageOf } from "./sandbox-meter.js";

/**
 * Installed in a function's sandbox before its handler loads. Every AWS SDK call the function makes
 * passes here (every SDK v3 client extends smithy's `Client`, whose `send` every call goes through):
 *
 * - **IAM.** The call is checked against the function's policy (its topology grants); one the deployed
 *   role would refuse fails the way AWS fails it — a client error named `AccessDeniedException`, HTTP
 *   400, with AWS's message — so the handler's own error handling runs as it would in AWS.
 * - **Metering** (benchmarks): what each call costs — write and read units as DynamoDB reports them,
 *   SQS requests in 64 KB chunks, S3 PUTs and GETs — is reported to the runtime.
 * - **Faults** (the crash-safety suite): an invocation may carry a fault for its n-th step, a step being
 *   an AWS call or an outbound HTTP request of the function's own: fail that call once, or stop the
 *   sandbox just before or just after it, as a crash or a timeout would.
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

/** A fault planned for one invocation (see `FunctionHost.invoke`). */
export interface Fault {
  readonly kind: "fail" | "crash-before" | "crash-after";
  /** 1-based: the n-th AWS call or outbound request of the invocation. */
  readonly step: number;
}

/** A step an invocation took, reported when faults are planned, so a suite knows how many there are. */
export interface Step {
  readonly step: number;
  readonly what: string;
}

export interface SandboxOptions {
  readonly policy: LocalPolicy;
  readonly onDenied?: (message: string) => void;
  /** Told what each AWS call cost (benchmarks only). */
  readonly onUsage?: (usage: CallUsage) => void;
  /**
   * Stops the sandbox (a crash): the runtime replaces it, as Lambda replaces a failed one. Told which
   * invocation crashed and the steps it took, the last being the one the fault named.
   */
  readonly crash: (invocationId: string, steps: readonly Step[]) => never;
}

interface Invocation {
  readonly id: string;
  readonly fault?: Fault;
  steps: Step[];
  /** Inside an AWS SDK call: its own HTTP requests are not steps of their own. */
  readonly inSdk?: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();

/** A network failure, as the SDK and node report a connection reset. */
class InjectedNetworkError extends Error {
  override readonly name = "NetworkingError";
  readonly code = "ECONNRESET";
  readonly $metadata = { attempts: 1 };
  constructor(what: string) {
    super(`injected fault: connection reset during ${what}`);
  }
}

interface Command {
  readonly input?: Readonly<Record<string, unknown>>;
}
interface SdkClient {
  readonly config: { readonly serviceId?: unknown };
}
type Send = (this: SdkClient, command: Command, ...rest: unknown[]) => Promise<unknown>;

/** Runs one invocation with its fault plan; the steps it took come with its result or its error. */
export function runInvocation<T>(
  id: string,
  fault: Fault | undefined,
  run: () => Promise<T>,
): Promise<{ ok: true; result: T; steps: Step[] } | { ok: false; error: unknown; steps: Step[] }> {
  const invocation: Invocation = { id, ...(fault ? { fault } : {}), steps: [] };
  return invocations.run(invocation, async () => {
    try {
      return { ok: true as const, result: await run(), steps: invocation.steps };
    } catch (error) {
      return { ok: false as const, error, steps: invocation.steps };
    }
  });
}

/** Counts a step of the current invocation and applies its fault; `call` makes the step. */
async function step<T>(options: SandboxOptions, what: string, call: () => Promise<T>): Promise<T> {
  const invocation = invocations.getStore();
  if (!invocation || invocation.inSdk) return call();
  const n = invocation.steps.length + 1;
  invocation.steps.push({ step: n, what });
  const fault = invocation.fault?.step === n ? invocation.fault : undefined;
  if (fault?.kind === "crash-before") options.crash(invocation.id, invocation.steps);
  if (fault?.kind === "fail") throw new InjectedNetworkError(what);
  const result = await call();
  if (fault?.kind === "crash-after") options.crash(invocation.id, invocation.steps);
  return result;
}

export function installIamGuard(options: SandboxOptions): void {
  const proto = Client.prototype as unknown as { send: Send; __iamGuard?: true };
  if (proto.__iamGuard) throw new Error("The local IAM guard is already installed in this sandbox.");
  const send = proto.send;
  proto.send = function guardedSend(this: SdkClient, command, ...rest) {
    const service = String(this.config.serviceId ?? "unknown");
    const operation = command.constructor.name.replace(/Command$/, "");
    const denied = firstDenied(options.policy, service, operation, command.input ?? {});
    if (denied) {
      const message = denialMessage(options.policy, denied);
      options.onDenied?.(message);
      return Promise.reject(new AccessDeniedException(message));
    }
    const input = command.input ?? {};
    if (options.onUsage && service === "DynamoDB") {
      // Ask DynamoDB what the call consumed (it answers in the response; nothing else changes).
      (input as Record<string, unknown>).ReturnConsumedCapacity = "TOTAL";
    }
    return step(options, `${service}.${operation}`, async () => {
      const outer = invocations.getStore();
      const call = () => send.call(this, command, ...rest);
      try {
        const output = outer ? await invocations.run({ ...outer, inSdk: true }, call) : await call();
        options.onUsage?.(usageOf(service, operation, input, output, undefined));
        return output;
      } catch (error) {
        options.onUsage?.(usageOf(service, operation, input, undefined, error));
        throw error;
      }
    });
  };
  proto.__iamGuard = true;

  // Outbound requests of the function's own (deliveries, JWKS fetches) are steps too.
  for (const [scheme, module] of [
    ["http", http],
    ["https", https],
  ] as const) {
    const original = module.request;
    const wrapped = ((...args: Parameters<typeof http.request>) => {
      const invocation = invocations.getStore();
      if (!invocation || invocation.inSdk) return original(...args);
      return stepSync(options, invocation, `${scheme} request`, () => original(...args));
    }) as typeof http.request;
    (module as { request: typeof http.request }).request = wrapped;
  }
  syncBuiltinESMExports();
}

/**
 * An outbound request as a step: node's `request` returns at once, so a fault before it throws (or
 * stops the sandbox) right away, and a crash after it comes once the response has arrived.
 */
function stepSync(
  options: SandboxOptions,
  invocation: Invocation,
  what: string,
  call: () => http.ClientRequest,
): http.ClientRequest {
  const n = invocation.steps.length + 1;
  invocation.steps.push({ step: n, what });
  const fault = invocation.fault?.step === n ? invocation.fault : undefined;
  if (fault?.kind === "crash-before") options.crash(invocation.id, invocation.steps);
  if (fault?.kind === "fail") throw new InjectedNetworkError(what);
  const request = call();
  // The receiver has answered: it processed the request, and the sandbox stops before acting on it.
  if (fault?.kind === "crash-after")
    request.once("response", () => options.crash(invocation.id, invocation.steps));
  return request;
}
