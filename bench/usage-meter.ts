import type { InvocationReport } from "../local/function-host.js";
import type { PlatformMeter } from "../local/runtime.js";
import type { CallUsage } from "../local/sandbox-meter.js";
import type { FunctionKey, FunctionSpec } from "../shared/topology/topology.js";

/** What one function used: every figure the bill is made of. */
export interface FunctionUsage {
  readonly memoryMb: number;
  readonly invocations: number;
  /** Sum of the invocations' local durations (each rounded up to 1 ms, as Lambda bills). */
  readonly billedMs: number;
  /** Sum of the modelled in-region durations (see `DurationModel`). */
  readonly modelledMs: number;
  /** AWS SDK calls the function made, by `Service.Operation`. */
  readonly calls: Readonly<Record<string, number>>;
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly sqsRequests: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  /** Bytes written to stdout/stderr: what CloudWatch Logs ingests. */
  readonly logBytes: number;
}

/** Everything a run used, by function and at the edges. */
export interface Usage {
  readonly functions: Readonly<Partial<Record<FunctionKey, FunctionUsage>>>;
  /** Requests through each front door and the 512 KB units API Gateway bills them in. */
  readonly frontDoor: Readonly<Record<"http-api" | "function-url", { requests: number; units: number }>>;
  /** The SQS event source mapping's billed calls (non-empty receives, batch deletes). */
  readonly mapping: Readonly<Record<string, number>>;
}

/** The in-region duration an invocation is assumed to take, from what it did (see `bench/cost.ts`). */
export type DurationModel = (functionKey: FunctionKey, report: InvocationReport) => number;

const API_GATEWAY_UNIT_BYTES = 512 * 1024;

type Mutable<T> = {
  -readonly [K in keyof T]: T[K] extends Readonly<Record<string, number>> ? Record<string, number> : T[K];
};

const emptyFunction = (memoryMb: number): Mutable<FunctionUsage> => ({
  memoryMb,
  invocations: 0,
  billedMs: 0,
  modelledMs: 0,
  calls: {},
  writeUnits: 0,
  readUnits: 0,
  sqsRequests: 0,
  s3Puts: 0,
  s3Gets: 0,
  logBytes: 0,
});

/**
 * The benchmark's `PlatformMeter`: sums what every sandbox and edge of a local platform reports, and
 * notes when it last heard anything (a run is over once the platform has been quiet a while).
 */
export class UsageMeter implements PlatformMeter {
  private readonly functions = new Map<FunctionKey, Mutable<FunctionUsage>>();
  private readonly frontDoor = {
    "http-api": { requests: 0, units: 0 },
    "function-url": { requests: 0, units: 0 },
  };
  private readonly mapping: Record<string, number> = {};
  /** `performance.now()` of the last thing metered. */
  lastActivity = performance.now();

  constructor(private readonly model: DurationModel) {}

  private of(spec: FunctionSpec): Mutable<FunctionUsage> {
    let usage = this.functions.get(spec.key);
    if (!usage) {
      usage = emptyFunction(spec.memoryMb);
      this.functions.set(spec.key, usage);
    }
    return usage;
  }

  private touch(): void {
    this.lastActivity = performance.now();
  }

  sandbox(spec: FunctionSpec) {
    return {
      onUsage: (call: CallUsage) => {
        const usage = this.of(spec);
        const name = `${call.service}.${call.operation}`;
        usage.calls[name] = (usage.calls[name] ?? 0) + 1;
        usage.writeUnits += call.writeUnits;
        usage.readUnits += call.readUnits;
        usage.sqsRequests += call.sqsRequests;
        usage.s3Puts += call.s3Puts;
        usage.s3Gets += call.s3Gets;
        this.touch();
      },
      onLogBytes: (bytes: number) => {
        this.of(spec).logBytes += bytes;
        this.touch();
      },
    };
  }

  invocation(spec: FunctionSpec, report: InvocationReport): void {
    const usage = this.of(spec);
    usage.invocations += 1;
    usage.billedMs += Math.max(1, Math.ceil(report.durationMs));
    usage.modelledMs += this.model(spec.key, report);
    this.touch();
  }

  frontDoorRequest(kind: "http-api" | "function-url", bytes: number): void {
    this.frontDoor[kind].requests += 1;
    this.frontDoor[kind].units += Math.max(1, Math.ceil(bytes / API_GATEWAY_UNIT_BYTES));
    this.touch();
  }

  mappingCall(call: CallUsage): void {
    this.mapping[call.operation] = (this.mapping[call.operation] ?? 0) + call.sqsRequests;
    this.touch();
  }

  /** A copy of the totals so far. */
  snapshot(): Usage {
    return structuredClone({
      functions: Object.fromEntries(this.functions),
      frontDoor: this.frontDoor,
      mapping: this.mapping,
    });
  }

  /**
   * Resolves once nothing has been metered for `quietMs` from now on (the platform finished what it was
   * doing): at least `quietMs`, since an invocation still running reports only when it ends.
   */
  async quiet(quietMs = 300): Promise<void> {
    const from = performance.now();
    for (;;) {
      const idle = performance.now() - Math.max(this.lastActivity, from);
      if (idle >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, quietMs - idle + 5));
    }
  }
}

function combine(a: Usage, b: Usage, sign: 1 | -1): Usage {
  const add = (x: number | undefined, y: number | undefined) => (x ?? 0) + sign * (y ?? 0);
  const addRecords = (x: Readonly<Record<string, number>> = {}, y: Readonly<Record<string, number>> = {}) => {
    const out: Record<string, number> = {};
    for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const value = add(x[key], y[key]);
      if (value !== 0) out[key] = value;
    }
    return out;
  };
  const functions: Partial<Record<FunctionKey, FunctionUsage>> = {};
  const keys = new Set([...Object.keys(a.functions), ...Object.keys(b.functions)]) as Set<FunctionKey>;
  for (const key of keys) {
    const x = a.functions[key];
    const y = b.functions[key];
    functions[key] = {
      memoryMb: x?.memoryMb ?? y?.memoryMb ?? 0,
      invocations: add(x?.invocations, y?.invocations),
      billedMs: add(x?.billedMs, y?.billedMs),
      modelledMs: add(x?.modelledMs, y?.modelledMs),
      calls: addRecords(x?.calls, y?.calls),
      writeUnits: add(x?.writeUnits, y?.writeUnits),
      readUnits: add(x?.readUnits, y?.readUnits),
      sqsRequests: add(x?.sqsRequests, y?.sqsRequests),
      s3Puts: add(x?.s3Puts, y?.s3Puts),
      s3Gets: add(x?.s3Gets, y?.s3Gets),
      logBytes: add(x?.logBytes, y?.logBytes),
    };
  }
  const door = (kind: "http-api" | "function-url") => ({
    requests: add(a.frontDoor[kind].requests, b.frontDoor[kind].requests),
    units: add(a.frontDoor[kind].units, b.frontDoor[kind].units),
  });
  return {
    functions,
    frontDoor: { "http-api": door("http-api"), "function-url": door("function-url") },
    mapping: addRecords(a.mapping, b.mapping),
  };
}

export const NO_USAGE: Usage = {
  functions: {},
  frontDoor: { "http-api": { requests: 0, units: 0 }, "function-url": { requests: 0, units: 0 } },
  mapping: {},
};

/** What happened between two snapshots. */
export const usageBetween = (before: Usage, after: Usage): Usage => combine(after, before, -1);
export const addUsage = (a: Usage, b: Usage): Usage => combine(a, b, 1);

/** AWS SDK calls the functions made (the mapping's polls are not among them). */
export const functionCalls = (usage: Usage, only?: readonly FunctionKey[]): number =>
  Object.entries(usage.functions)
    .filter(([key]) => only === undefined || only.includes(key as FunctionKey))
    .reduce((total, [, f]) => total + Object.values(f?.calls ?? {}).reduce((a, b) => a + b, 0), 0);
