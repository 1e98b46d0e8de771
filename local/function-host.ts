import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PayloadTooLargeForLambdaError } from "./api-server.js";
import type { Fault, Step } from "./iam-guard.js";
import type { LocalPolicy } from "./iam-policy.js";
import type { CallUsage } from "./sandbox-meter.js";

/** Lambda's limit on a synchronous invocation's payload. */
const LAMBDA_MAX_PAYLOAD_BYTES = 6_291_456;

export class FunctionInvocationError extends Error {
  override readonly name = "FunctionInvocationError";
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  started: number;
  fault?: Fault;
  /** The steps a crashed invocation took, the last being the one its fault named. */
  crashedAfter?: readonly Step[];
}

/** What a metered sandbox used: an AWS call's cost, or bytes it logged. */
type MeterEntry = { type: "usage"; usage: CallUsage } | { type: "log-bytes"; bytes: number };

type WorkerMessage =
  | { type: "ready"; initMs: number }
  | { type: "denied"; message: string }
  | { type: "meter"; entries: readonly MeterEntry[] }
  | { type: "init-error"; message: string }
  | { type: "crashed"; id: string; steps: readonly Step[] }
  | { type: "result"; id: string; result: unknown; steps: readonly Step[]; meter?: readonly MeterEntry[] }
  | {
      type: "error";
      id: string;
      steps: readonly Step[];
      error: { name: string; message: string };
      meter?: readonly MeterEntry[];
    };

/** What one invocation did, for meters and the crash-safety suite. */
export interface InvocationReport {
  readonly function: string;
  /** The id `faultFor` was given for this invocation (its request id). */
  readonly invocationId: string;
  readonly durationMs: number;
  /** The AWS calls and outbound requests it made, in order. */
  readonly steps: readonly Step[];
  readonly fault?: Fault;
  readonly outcome: "result" | "error" | "crashed" | "timeout";
  /** What the handler returned, when it returned (a partial batch response, an HTTP response). */
  readonly result?: unknown;
}

const WORKER_FILE = fileURLToPath(new URL("./function-worker.mjs", import.meta.url));

/**
 * Runs one function's bundle in a worker thread with its own environment, like a Lambda sandbox:
 * module init once, then invocations with a context and a timeout. A timed-out invocation fails and
 * the sandbox is replaced (the next invocation is a cold start), as Lambda does.
 */
export class FunctionHost {
  private worker!: Worker;
  private ready!: Promise<number>;
  private readonly pending = new Map<string, Pending>();
  private stopped = false;

  constructor(
    private readonly options: {
      readonly name: string;
      readonly file: string;
      readonly env: Readonly<Record<string, string>>;
      readonly timeoutSeconds: number;
      readonly memoryMb: number;
      /** The function's IAM policy and the guard that enforces it on every AWS SDK call. */
      readonly iam: { readonly guardFile: string; readonly policy: LocalPolicy };
      /** Told of every SDK call the policy refused (the function sees an AccessDeniedException). */
      readonly onDenied?: (message: string) => void;
      /** Meter the sandbox: every AWS call's cost and every byte it logs (benchmarks). */
      readonly meter?: {
        readonly onUsage: (usage: CallUsage) => void;
        readonly onLogBytes: (bytes: number) => void;
      };
      /** Told of every invocation once it ends. */
      readonly onInvocation?: (report: InvocationReport) => void;
      /** Decides the fault (if any) an invocation carries (the crash-safety suite). */
      readonly faultFor?: (event: unknown, invocationId: string) => Fault | undefined;
      /** Where the sandbox's stdout and stderr go: the runtime's own (default), or nowhere (benchmarks). */
      readonly output?: "inherit" | "discard";
    },
  ) {
    this.spawn();
  }

  /** Milliseconds the module took to load and initialise (the cold-start cost of the bundle). */
  whenReady(): Promise<number> {
    return this.ready;
  }

  private spawn(): void {
    const discard = this.options.output === "discard";
    const worker = new Worker(WORKER_FILE, {
      // The thread's name (as the OS shows it, truncated): per-thread CPU in benchmarks and profiles.
      name: this.options.name,
      env: { ...this.options.env },
      stdout: discard,
      stderr: discard,
      workerData: {
        file: this.options.file,
        functionName: this.options.name,
        memoryMb: this.options.memoryMb,
        iam: this.options.iam,
        meter: this.options.meter !== undefined,
      },
    });
    this.worker = worker;
    if (discard) {
      // Read and dropped (a metered sandbox has counted the bytes already).
      worker.stdout.resume();
      worker.stderr.resume();
    }
    this.ready = new Promise<number>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === "ready") resolve(message.initMs);
        else if (message.type === "denied") this.options.onDenied?.(message.message);
        else if (message.type === "meter") this.metered(message.entries);
        else if (message.type === "crashed") {
          const pending = this.pending.get(message.id);
          if (pending) pending.crashedAfter = message.steps;
        } else if (message.type === "init-error")
          reject(
            new FunctionInvocationError(`${this.options.name} failed to initialise: ${message.message}`),
          );
        else this.settle(message);
      };
      worker.on("message", onMessage);
    });
    this.ready.catch(() => undefined);
    worker.on("error", (error) => this.failAll(error, "crashed"));
    worker.on("exit", () => {
      if (this.stopped || this.worker !== worker) return;
      // The sandbox died (a crash): what it was running fails, and the next invocation gets a new one.
      this.failAll(new FunctionInvocationError(`${this.options.name} sandbox exited`), "crashed");
      this.spawn();
    });
  }

  private report(
    id: string,
    pending: Pending,
    outcome: InvocationReport["outcome"],
    steps: readonly Step[] = [],
    result?: unknown,
  ): void {
    this.options.onInvocation?.({
      function: this.options.name,
      invocationId: id,
      durationMs: performance.now() - pending.started,
      steps,
      ...(pending.fault ? { fault: pending.fault } : {}),
      outcome,
      ...(result === undefined ? {} : { result }),
    });
  }

  private metered(entries: readonly MeterEntry[] | undefined): void {
    for (const entry of entries ?? []) {
      if (entry.type === "usage") this.options.meter?.onUsage(entry.usage);
      else this.options.meter?.onLogBytes(entry.bytes);
    }
  }

  private settle(message: Extract<WorkerMessage, { type: "result" | "error" }>): void {
    this.metered(message.meter);
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    this.report(
      message.id,
      pending,
      message.type,
      message.steps,
      message.type === "result" ? message.result : undefined,
    );
    if (message.type === "result") pending.resolve(message.result);
    else pending.reject(new FunctionInvocationError(`${message.error.name}: ${message.error.message}`));
  }

  private failAll(error: Error, outcome?: InvocationReport["outcome"]): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      if (outcome) this.report(id, pending, outcome, pending.crashedAfter);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  async invoke<T = unknown>(event: unknown): Promise<T> {
    if (this.stopped) throw new FunctionInvocationError(`${this.options.name} is stopped`);
    // Lambda refuses an invocation payload over 6 MB before any code runs.
    const bytes = Buffer.byteLength(JSON.stringify(event));
    if (bytes > LAMBDA_MAX_PAYLOAD_BYTES) {
      throw new PayloadTooLargeForLambdaError(
        `${bytes} byte request must be smaller than ${LAMBDA_MAX_PAYLOAD_BYTES} bytes for the Invoke operation`,
      );
    }
    await this.ready;
    const id = randomUUID();
    const timeoutMs = this.options.timeoutSeconds * 1000;
    const fault = this.options.faultFor?.(event, id);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const pending = this.pending.get(id);
        this.pending.delete(id);
        if (pending) this.report(id, pending, "timeout");
        reject(
          new FunctionInvocationError(
            `${this.options.name} timed out after ${this.options.timeoutSeconds} s`,
          ),
        );
        // Lambda discards a sandbox whose invocation timed out.
        const old = this.worker;
        this.spawn();
        void old.terminate();
      }, timeoutMs);
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        timer,
        started: performance.now(),
        ...(fault ? { fault } : {}),
      });
      this.worker.postMessage({ id, event, deadline: Date.now() + timeoutMs, requestId: id, fault });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.failAll(new FunctionInvocationError(`${this.options.name} stopped`));
    await this.worker.terminate();
  }
}
