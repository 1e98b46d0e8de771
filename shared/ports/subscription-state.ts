/** A subscription's operating state: paused by ops, or disabled by its receiver. */
export interface SubscriptionState {
  readonly paused: boolean;
  /** Set when the receiver asked us to stop (410 Gone, `webhook-delivery: disable`). */
  readonly disabledReason?: string;
  readonly changedAt?: string;
}

export interface SubscriptionStateStore {
  /** `{ paused: false }` for a subscription that never had a state stored. */
  subscriptionState(subscriptionId: string): Promise<SubscriptionState>;
  setSubscriptionState(subscriptionId: string, state: SubscriptionState): Promise<void>;
}
