/** Metrics of the subscription queues that their attributes do not tell (in AWS: CloudWatch). */
export interface QueueMetrics {
  /**
   * The age in seconds of the oldest message of each subscription's queue, by subscription id; a
   * subscription without a recent data point is absent.
   */
  oldestMessageAgeSeconds(subscriptionIds: readonly string[]): Promise<ReadonlyMap<string, number>>;
}
