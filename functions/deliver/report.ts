import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { MiddlewareObj } from "@middy/core";
import type { SQSEvent } from "aws-lambda";
import type { DeliveryResult } from "../../shared/use-cases/deliver/results.js";

type Kind = DeliveryResult["result"];
type ResultOf<K extends Kind> = Extract<DeliveryResult, { result: K }>;

interface Line<K extends Kind> {
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  /** Counted once per result of this kind. */
  readonly metric?: string;
  /** What the log line adds to the event and message ids. */
  readonly fields: (result: ResultOf<K>) => Record<string, unknown>;
}

/** How each kind of delivery result is logged and counted: the one place to look. */
export const RESULT_REPORT: { readonly [K in Kind]: Line<K> } = {
  delivered: {
    level: "info",
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
    level: "info",
    message: "parked",
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

type Log = Pick<Logger, "info" | "warn" | "error">;
type Count = Pick<Metrics, "addMetric">;

function report<K extends Kind>(result: ResultOf<K>, logger: Log, metrics: Count): void {
  const line = RESULT_REPORT[result.result as K];
  logger[line.level](line.message, {
    eventId: result.eventId,
    messageId: result.messageId,
    ...line.fields(result),
  });
  if (line.metric) metrics.addMetric(line.metric, MetricUnit.Count, 1);
}

/** Logs and counts every result the handler returned (`DeliveryRecords`: how many there were). */
export function reportDeliveryResults(
  logger: Log,
  metrics: Count,
): MiddlewareObj<SQSEvent, readonly DeliveryResult[]> {
  return {
    name: "reportDeliveryResults",
    after: (request) => {
      const results = request.response ?? [];
      metrics.addMetric("DeliveryRecords", MetricUnit.Count, results.length);
      for (const result of results) report(result, logger, metrics);
    },
  };
}
