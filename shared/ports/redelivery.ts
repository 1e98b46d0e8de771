/**
 * How a message comes back later: the one mechanism behind retries and parking (paused subscriptions,
 * open breakers, rate limits, busy leases). Any wait length is allowed; the implementation decides how
 * to hold the message (SQS delays in hops today).
 */
export interface Redelivery {
  /** Returns the message to its queue, to be handled again no earlier than `dueAt` (epoch ms). */
  later(input: {
    readonly queueName: string;
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly dueAt: number;
  }): Promise<void>;
  /** Seconds a received message must still wait before it is due; 0 when it is due. */
  remainingSeconds(attributes: Readonly<Record<string, string | undefined>>): number;
  /** Sends a message that arrived before it was due back again, keeping its due time. */
  hop(input: {
    readonly queueName: string;
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
  }): Promise<void>;
}
