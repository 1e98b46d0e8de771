/** How many messages a queue holds, by part (SQS's approximate counts). */
export interface QueueDepth {
  /** visible + in flight + delayed. */
  readonly total: number;
  /** Ready to be received. */
  readonly visible: number;
  /** Received and not yet deleted or released. */
  readonly inFlight: number;
  /** Sent with a delay that has not ended. */
  readonly delayed: number;
}

/** A new delivery of a stored event: the CloudEvent as the router builds it, marked as one resend. */
export interface FreshDelivery {
  /** The CloudEvent JSON. */
  readonly body: string;
  /** Names the resend (or replay): its success is recorded apart from the event's earlier deliveries. */
  readonly resendId: string;
}

/** The subscription queues, as ops use them: fresh deliveries in, depth out. */
export interface SubscriptionQueues {
  /** Sends new deliveries (attempt 1, due now) onto a subscription's queue; the indexes that failed. */
  enqueue(subscriptionId: string, deliveries: readonly FreshDelivery[]): Promise<readonly number[]>;
  /** Messages waiting in the subscription's queue. */
  backlog(subscriptionId: string): Promise<QueueDepth>;
}

/** A message in a subscription's DLQ, with why it is there. */
export interface DeadLetter {
  /** The queue's id of the message (stable while it stays in the DLQ). */
  readonly messageId: string;
  readonly eventId?: string;
  readonly sourceId?: string;
  readonly type?: string;
  /** When the event arrived (the CloudEvent's `time`), ISO. */
  readonly receivedAt?: string;
  readonly reason: string;
  readonly attempts?: number;
  readonly lastStatus?: number;
  readonly errorClass?: string;
  readonly detail?: string;
  readonly failedAt?: string;
  /** Set when the dead-lettered delivery was an operator's resend. */
  readonly resendId?: string;
}

/** A dead letter received and held (invisible to others) until it is moved, or released. */
export interface HeldDeadLetter extends DeadLetter {
  readonly receipt: string;
}

export interface DeadLetterListing {
  readonly messages: readonly DeadLetter[];
  /** Messages that could not be made visible again: they stay hidden until `hiddenForSeconds` pass. */
  readonly stillHidden: number;
  readonly hiddenForSeconds: number;
}

export interface RequeueResult {
  /** Letters copied onto the subscription queue, with the id of each copy. */
  readonly sent: readonly { readonly messageId: string; readonly copyId: string }[];
  /** Letters that could not be copied (they stay in the DLQ), with why. */
  readonly failed: readonly { readonly messageId: string; readonly error: string }[];
}

/** The subscriptions' dead-letter queues. */
export interface DeadLetters {
  depth(subscriptionId: string): Promise<QueueDepth>;
  /**
   * What sits in a DLQ, without taking it away: each message seen is held only while the listing runs
   * and made visible again at its end. At most `max` messages.
   */
  list(subscriptionId: string, options: { readonly max: number }): Promise<DeadLetterListing>;
  /** Receives up to `max` (at most 10) and holds them `holdSeconds`; empty when none is visible. */
  receive(
    subscriptionId: string,
    options: { readonly max: number; readonly holdSeconds: number },
  ): Promise<HeldDeadLetter[]>;
  /**
   * Copies letters back onto the subscription's queue as fresh deliveries (attempt 1, due now, body
   * byte for byte, marked replayed at `replayedAt` and with the reason; a resend keeps its resend id).
   */
  requeue(
    subscriptionId: string,
    letters: readonly HeldDeadLetter[],
    replayedAt: Date,
  ): Promise<RequeueResult>;
  /** Deletes held letters from the DLQ; returns how many could not be deleted. */
  remove(subscriptionId: string, letters: readonly HeldDeadLetter[]): Promise<number>;
  /** Makes held letters visible again at once; returns how many could not be (they return later). */
  release(subscriptionId: string, letters: readonly HeldDeadLetter[]): Promise<number>;
}
