import type { Metrics } from "@aws-lambda-powertools/metrics";
import type middy from "@middy/core";

/**
 * Publishes the invocation's metrics (one CloudWatch embedded-metric log line) only when it stored any.
 * Powertools' own `logMetrics` writes a warning line on every invocation that stored none, and log lines
 * are billed: the common path of ingest (an accepted webhook) and of a quiet batch stores none.
 */
export function publishMetricsIfAny(metrics: Metrics): middy.MiddlewareObj {
  const publish = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
