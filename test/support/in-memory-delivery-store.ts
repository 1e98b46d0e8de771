import { type BreakerState, CLOSED } from "../../shared/domain/circuit-breaker.js";
import type { AttemptLog, AttemptLogReader, AttemptRecord } from "../../shared/ports/attempt-log.js";
import type { BreakerStore, VersionedBreaker } from "../../shared/ports/breaker-store.js";
import type { RateLimiter } from "../../shared/ports/rate-limiter.js";
import type { SubscriptionState, SubscriptionStateStore } from "../../shared/ports/subscription-state.js";
import {
  type BatchStats,
  type DeliveryKey,
  deliveryKeyOf,
  type SuccessLedger,
  type SuccessRecord,
} from "../../shared/ports/success-ledger.js";

/**
 * Every port of the delivery-state table in memory, for use-case unit tests (the DynamoDB adapter,
 * `DynamoDbDeliveryStore`, has its own tests against DynamoDB Local).
 */
export class InMemoryDeliveryStore
  implements SuccessLedger, AttemptLog, AttemptLogReader, SubscriptionStateStore, BreakerStore, RateLimiter
{
  /** Successful deliveries, by `deliveryKeyOf`. */
  readonly deliveries = new Set<string>();
  readonly attempts: AttemptRecord[] = [];
  readonly stats: BatchStats[] = [];
  readonly states = new Map<string, SubscriptionState>();
  /** Calls of `recordBatch` (one per batch with anything to record). */
  batchWrites = 0;

  async delivered(keys: readonly DeliveryKey[]): Promise<ReadonlySet<string>> {
    return new Set(keys.map(deliveryKeyOf).filter((k) => this.deliveries.has(k)));
  }

  async recordBatch(successes: readonly SuccessRecord[], stats: readonly BatchStats[]): Promise<void> {
    this.batchWrites++;
    for (const success of successes) {
      this.deliveries.add(deliveryKeyOf(success.attempt));
      this.attempts.push(success.attempt);
    }
    this.stats.push(...stats);
  }

  async recordAttempt(record: AttemptRecord): Promise<void> {
    this.attempts.push(record);
  }

  async subscriptionState(subscriptionId: string): Promise<SubscriptionState> {
    return this.states.get(subscriptionId) ?? { paused: false };
  }

  async setSubscriptionState(subscriptionId: string, state: SubscriptionState): Promise<void> {
    this.states.set(subscriptionId, state);
  }

  async attemptsForEvent(eventId: string): Promise<AttemptRecord[]> {
    return this.attempts.filter((a) => a.eventId === eventId);
  }

  async attemptsForSubscription(subscriptionId: string, limit: number): Promise<AttemptRecord[]> {
    return this.attempts.filter((a) => a.subscriptionId === subscriptionId).slice(-limit);
  }

  readonly breakers = new Map<string, VersionedBreaker>();
  readonly rate = new Map<string, number>();

  async breaker(destination: string): Promise<VersionedBreaker> {
    return this.breakers.get(destination) ?? { state: CLOSED, version: 0 };
  }

  async saveBreaker(destination: string, next: BreakerState, expectedVersion: number): Promise<boolean> {
    if ((this.breakers.get(destination)?.version ?? 0) !== expectedVersion) return false;
    this.breakers.set(destination, { state: next, version: expectedVersion + 1 });
    return true;
  }

  async takeRateToken(subscriptionId: string, nowMs: number, perSecond: number): Promise<boolean> {
    const key = `${subscriptionId}/${Math.floor(nowMs / 1000)}`;
    const used = this.rate.get(key) ?? 0;
    if (used >= perSecond) return false;
    this.rate.set(key, used + 1);
    return true;
  }
}
