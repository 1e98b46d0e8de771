import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import type { QueueMetrics } from "../ports/queue-metrics.js";

/**
 * The age of each subscription queue's oldest message, from CloudWatch (`AWS/SQS`
 * `ApproximateAgeOfOldestMessage`, maximum per minute, the latest point of the last 15 minutes): one
 * `GetMetricData` call for up to 500 queues. SQS publishes it every minute for active queues; a queue
 * without a recent point is absent. Never receives from a queue to look (that would count toward its
 * `maxReceiveCount`). There is no CloudWatch on the local emulators: the local stack runs without it.
 */
export class CloudWatchQueueMetrics implements QueueMetrics {
  constructor(
    private readonly client: CloudWatchClient,
    /** The queue name of a subscription (`queueNames.subscription(prefix, id)`). */
    private readonly queueNameOf: (subscriptionId: string) => string,
    private readonly now: () => number = Date.now,
  ) {}

  async oldestMessageAgeSeconds(subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, number>> {
    const ages = new Map<string, number>();
    const end = new Date(Math.ceil(this.now() / 60_000) * 60_000);
    const start = new Date(end.getTime() - 15 * 60_000);
    for (let i = 0; i < subscriptionIds.length; i += 500) {
      const ids = subscriptionIds.slice(i, i + 500);
      const queries: MetricDataQuery[] = ids.map((id, j) => ({
        Id: `q${j}`,
        MetricStat: {
          Metric: {
            Namespace: "AWS/SQS",
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: this.queueNameOf(id) }],
          },
          Period: 60,
          Stat: "Maximum",
        },
        ReturnData: true,
      }));
      let token: string | undefined;
      do {
        const out = await this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries,
            StartTime: start,
            EndTime: end,
            ScanBy: "TimestampDescending",
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const result of out.MetricDataResults ?? []) {
          const id = ids[Number(result.Id?.slice(1))];
          const latest = result.Values?.[0];
          if (id !== undefined && latest !== undefined && !ages.has(id)) ages.set(id, latest);
        }
        token = out.NextToken;
      } while (token);
    }
    return ages;
  }
}
