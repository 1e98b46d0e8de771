import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import type { FunctionKey, Topology } from "../../shared/topology/topology.js";
import type { WebhooksStateful } from "./stateful.js";
import type { WebhooksStateless } from "./stateless.js";

/** The metrics the functions publish (Powertools, namespace and service dimension from the topology). */
const NAMESPACE = "Webhooks";
const DELIVER_SERVICE = "webhooks-deliver";
const ROUTER_SERVICE = "webhooks-router";

/**
 * Thresholds of the alarms beyond DLQ depth (those and the stream failures alarm live with their
 * resources in `WebhooksStateful`; the router's iterator age with its mapping in `WebhooksStateless`).
 */
export const ALARM_THRESHOLDS = {
  /** A subscription queue's oldest message waiting this long: its consumer is not keeping up. */
  oldestMessageSeconds: 3_600,
  /** Ingest answering 5xx to this share of requests over 5 minutes (senders will retry, then give up). */
  ingest5xxPercent: 1,
  /** A destination's breaker holding messages for this long: the receiver has been down that long. */
  breakerOpenMinutes: 30,
} as const;

export interface WebhooksObservabilityProps {
  readonly topology: Topology;
  readonly stateful: WebhooksStateful;
  readonly stateless: WebhooksStateless;
}

/**
 * What ops sees in AWS: one CloudWatch dashboard — ingest rate and answers, per-subscription deliveries,
 * failures and latency, DLQ depth, oldest message age, messages held by open breakers, the stream's
 * iterator age — and the alarms beyond DLQ depth: oldest message age per subscription queue, ingest
 * 5xx rate, a breaker open longer than a threshold. Every alarm notifies the alarm topic when given.
 */
export class WebhooksObservability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: WebhooksObservabilityProps) {
    super(scope, id);
    const { topology, stateful, stateless } = props;
    const fn = (key: FunctionKey) => stateless.functions.get(key) as lambda.Function | undefined;
    const minute = Duration.minutes(1);
    const alarms: cloudwatch.IAlarm[] = [];

    // Ingest: requests and answers at whichever front doors the config deploys.
    const ingest = fn("ingest");
    const requests: cloudwatch.IMetric[] = [];
    const answers: cloudwatch.IMetric[] = [];
    let fiveXxRate: cloudwatch.IMetric | undefined;
    if (stateless.api && stateless.stage) {
      const dims = { ApiId: stateless.api.apiId, Stage: "$default" };
      const api = (metricName: string, label: string) =>
        new cloudwatch.Metric({
          namespace: "AWS/ApiGateway",
          metricName,
          dimensionsMap: dims,
          statistic: "Sum",
          period: minute,
          label,
        });
      const count = api("Count", "HTTP API requests");
      const fiveXx = api("5xx", "HTTP API 5xx");
      requests.push(count);
      answers.push(api("4xx", "HTTP API 4xx"), fiveXx);
      fiveXxRate = new cloudwatch.MathExpression({
        expression: "IF(requests > 0, 100 * errors / requests, 0)",
        usingMetrics: {
          requests: api("Count", "requests").with({ period: Duration.minutes(5) }),
          errors: fiveXx.with({ period: Duration.minutes(5) }),
        },
        label: "ingest 5xx %",
        period: Duration.minutes(5),
      });
    }
    if (stateless.functionUrl && ingest) {
      const url = (metricName: string, label: string) =>
        ingest.metric(metricName, { statistic: "Sum", period: minute, label });
      requests.push(url("UrlRequestCount", "Function URL requests"));
      answers.push(url("Url4xxCount", "Function URL 4xx"), url("Url5xxCount", "Function URL 5xx"));
      if (!fiveXxRate) {
        fiveXxRate = new cloudwatch.MathExpression({
          expression: "IF(requests > 0, 100 * errors / requests, 0)",
          usingMetrics: {
            requests: url("UrlRequestCount", "requests").with({ period: Duration.minutes(5) }),
            errors: url("Url5xxCount", "errors").with({ period: Duration.minutes(5) }),
          },
          label: "ingest 5xx %",
          period: Duration.minutes(5),
        });
      }
    }
    if (fiveXxRate) {
      alarms.push(
        stateful.alarm(
          "Ingest5xxRate",
          `${topology.prefix}-ingest-5xx-rate`,
          `Ingest answered 5xx to at least ${ALARM_THRESHOLDS.ingest5xxPercent}% of requests over 5 minutes: ` +
            "senders retry, and give up after hours. Check the ingest function's errors and DynamoDB throttling.",
          fiveXxRate,
          ALARM_THRESHOLDS.ingest5xxPercent,
        ),
      );
    }
    const accepted = new cloudwatch.MathExpression({
      expression: `SUM(SEARCH('{${NAMESPACE},service,source} MetricName="WebhookAccepted"', 'Sum', 60))`,
      label: "accepted webhooks",
      period: minute,
    });

    const subscriptionMetric = (metricName: string, subscription: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: NAMESPACE,
        metricName,
        dimensionsMap: { service: DELIVER_SERVICE, subscription },
        statistic,
        period: minute,
        label,
      });

    const deliveries: cloudwatch.IMetric[] = [];
    const failures: cloudwatch.IMetric[] = [];
    const latency: cloudwatch.IMetric[] = [];
    const held: cloudwatch.IMetric[] = [];
    const dlqDepth: cloudwatch.IMetric[] = [];
    const oldest: cloudwatch.IMetric[] = [];
    for (const spec of topology.queues) {
      const { queue, dlq } = stateful.queue(spec.key);
      const sub = spec.subscriptionId ?? spec.key;
      dlqDepth.push(
        dlq.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: "Maximum", label: sub }),
      );
      const age = queue.metricApproximateAgeOfOldestMessage({
        period: minute,
        statistic: "Maximum",
        label: sub,
      });
      oldest.push(age);
      alarms.push(
        stateful.alarm(
          `OldestMessage-${spec.key}`,
          `${spec.name}-oldest-message`,
          `The oldest message of ${spec.name} has waited ${ALARM_THRESHOLDS.oldestMessageSeconds / 60} minutes: ` +
            (spec.role === "http-subscription"
              ? "deliveries are not keeping up (paused, a breaker open, a rate limit, or deliver failing)."
              : spec.role === "ops-jobs"
                ? "replays are not running (see the ops function's errors)."
                : "its consumer is not reading it."),
          age,
          ALARM_THRESHOLDS.oldestMessageSeconds,
        ),
      );
      if (spec.role !== "http-subscription") continue;
      deliveries.push(subscriptionMetric("Delivered", sub, "Sum", `${sub} delivered`));
      failures.push(
        subscriptionMetric("DeliveryRetried", sub, "Sum", `${sub} retried`),
        subscriptionMetric("DeliveryDeadLettered", sub, "Sum", `${sub} dead-lettered`),
      );
      latency.push(
        subscriptionMetric("DeliveryLatency", sub, "p50", `${sub} p50`),
        subscriptionMetric("DeliveryLatency", sub, "p99", `${sub} p99`),
      );
      const parked = subscriptionMetric(
        "DeliveryParkedCircuitOpen",
        sub,
        "Sum",
        `${sub} held by an open breaker`,
      );
      held.push(parked);
      // Parked messages look again within the breaker's cool-down (at most 10 minutes): a breaker still
      // holding messages in every 15-minute window for the threshold has been open that long.
      const windows = Math.max(1, Math.round(ALARM_THRESHOLDS.breakerOpenMinutes / 15));
      const breakerAlarm = new cloudwatch.Alarm(this, `BreakerOpen-${spec.key}`, {
        alarmName: `${spec.name}-breaker-open`,
        alarmDescription:
          `The destination of subscription ${sub} has had its circuit breaker open for ` +
          `${ALARM_THRESHOLDS.breakerOpenMinutes} minutes: the receiver is down. Messages wait (nothing is ` +
          "dropped). Once it is back: npm run ops -- breaker close <url>, or the console's Close breaker.",
        metric: parked.with({ period: Duration.minutes(15) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: windows,
        datapointsToAlarm: windows,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      stateful.notify(breakerAlarm);
      alarms.push(breakerAlarm);
    }

    const router = fn("router");
    const iteratorAge = router?.metric("IteratorAge", {
      statistic: "Maximum",
      period: minute,
      label: "router iterator age",
    });
    const fannedOut = new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName: "EventsFannedOut",
      dimensionsMap: { service: ROUTER_SERVICE },
      statistic: "Sum",
      period: minute,
      label: "copies sent to subscription queues",
    });

    const graph = (title: string, left: cloudwatch.IMetric[], width = 12) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `${topology.prefix}-webhooks`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      graph("Ingest: requests and accepted webhooks", [...requests, accepted]),
      graph("Ingest: 4xx and 5xx answers", answers),
    );
    this.dashboard.addWidgets(
      graph("Delivered per subscription", deliveries),
      graph("Failed attempts per subscription (retried, dead-lettered)", failures),
    );
    this.dashboard.addWidgets(
      graph("Delivery latency per subscription (p50, p99, ms)", latency),
      graph("Messages held by open breakers", held),
    );
    this.dashboard.addWidgets(
      graph("DLQ depth per subscription", dlqDepth),
      graph("Oldest message age per subscription queue (s)", oldest),
    );
    this.dashboard.addWidgets(
      graph(
        "Router: stream iterator age (ms) and copies sent",
        iteratorAge ? [iteratorAge, fannedOut] : [fannedOut],
      ),
      new cloudwatch.AlarmStatusWidget({
        title: "Alarms",
        alarms: [
          ...alarms,
          ...[...stateful.queues.values()].map((q) => q.dlqAlarm),
          stateful.streamFailuresAlarm,
        ],
        width: 12,
        height: 6,
      }),
    );
    this.alarms = alarms;
  }
}
