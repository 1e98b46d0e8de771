import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MiddlewareObj } from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import type { DeliveryResult } from "../../shared/use-cases/deliver/results.js";

type Kind = DeliveryResult["result"];
type ResultOf<K extends Kind> = Extract<DeliveryResult, { result: K }>;

interface Line<K extends Kind> {
  /** At INFO and above at most one line per outcome worth a person's look; the common ones at DEBUG. */
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  /** Counted once per result of this kind (or of the kinds the function names). */
  readonly metric?: string | ((result: ResultOf<K>) => string | undefined);
  /** What the log line adds to the event and message ids. */
  readonly fields: (result: ResultOf<K>) => Record<string, unknown>;
}

/** How each kind of delivery result is logged and counted: the one place to look. */
export const RESULT_REPORT: { readonly [K in Kind]: Line<K> } = {
  delivered: {
    level: "debug",
    message: "delivered",
    metric: "Delivered",
    fields: (r) => ({ attempt: r.attempt, outcome: r.outcome }),
  },
  "retry-scheduled": {
    level: "warn",
    message: "attempt failed; retry scheduled",
    metric: "DeliveryRetried",
    fields: (r) => ({ attempt: r.attempt, delaySeconds: r.delaySeconds, outcome: r.outcome }),
  },
  "dead-lettered": {
    level: "error",
    message: "dead-lettered",
    metric: "DeliveryDeadLettered",
    fields: (r) => ({ attempt: r.attempt, reason: r.reason, detail: r.detail }),
  },
  parked: {
    level: "debug",
    message: "parked",
    // Messages held by an open breaker: the dashboard's "open breakers" and its alarm count these.
    metric: (r) => (r.why === "circuit-open" ? "DeliveryParkedCircuitOpen" : undefined),
    fields: (r) => ({ attempt: r.attempt, why: r.why }),
  },
  "already-delivered": {
    level: "info",
    message: "already delivered; redelivered copy acknowledged without a POST",
    metric: "DeliverySkippedDuplicate",
    fields: () => ({}),
  },
  failed: {
    level: "error",
    message: "delivery step failed; record returns to the queue",
    fields: (r) => ({ error: r.error }),
  },
};

type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;
type Count = Pick<Metrics, "addMetric">;

function report<K extends Kind>(result: ResultOf<K>, logger: Log, metrics: Count): void {
  const line = RESULT_REPORT[result.result as K];
  logger[line.level](line.message, {
    eventId: result.eventId,
    messageId: result.messageId,
    ...line.fields(result),
  });
  const metric = typeof line.metric === "function" ? line.metric(result) : line.metric;
  if (metric) metrics.addMetric(metric, MetricUnit.Count, 1);
}

/**
 * Logs and counts every result the handler returned: one embedded-metric line per batch carries the
 * counts and every attempt's latency, under the subscription's dimension (a batch comes from one queue).
 */
export function reportDeliveryResults(
  logger: Log,
  metrics: Count & Pick<Metrics, "addDimension">,
): MiddlewareObj<SQSEvent, readonly DeliveryResult[]> {
  return {
    name: "reportDeliveryResults",
    after: (request) => {
      const results = request.response ?? [];
      const subscription = results.flatMap((r) =>
        "record" in r && r.record ? [r.record.subscriptionId] : [],
      )[0];
      if (subscription !== undefined) metrics.addDimension("subscription", subscription);
      metrics.addMetric("DeliveryRecords", MetricUnit.Count, results.length);
      for (const result of results) {
        report(result, logger, metrics);
        if ("record" in result && result.record)
          metrics.addMetric("DeliveryLatency", MetricUnit.Milliseconds, result.record.latencyMs);
      }
    },
  };
}
