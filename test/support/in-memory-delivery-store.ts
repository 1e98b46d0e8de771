import { randomUUID } from "node:crypto";
import { type BreakerState, CLOSED } from "../../shared/domain/circuit-breaker.js";
import type { AttemptLog, AttemptLogReader, AttemptRecord } from "../../shared/ports/attempt-log.js";
import type { BreakerStore, VersionedBreaker } from "../../shared/ports/breaker-store.js";
import type { RateLimiter } from "../../shared/ports/rate-limiter.js";
import type { SubscriptionState, SubscriptionStateStore } from "../../shared/ports/subscription-state.js";
import type {
  BeginInput,
  BeginResult,
  DeliveryKey,
  SuccessLedger,
} from "../../shared/ports/success-ledger.js";

/**
 * Every port of the delivery-state table in memory, for use-case unit tests (the DynamoDB adapter,
 * `DynamoDbDeliveryStore`, has its own tests against DynamoDB Local).
 */
export class InMemoryDeliveryStore
  implements SuccessLedger, AttemptLog, AttemptLogReader, SubscriptionStateStore, BreakerStore, RateLimiter
{
  readonly deliveries = new Map<
    string,
    { status: "pending" | "delivered"; token: string; leaseUntilMs: number }
  >();
  readonly attempts: AttemptRecord[] = [];
  readonly states = new Map<string, SubscriptionState>();

  async begin(input: BeginInput): Promise<BeginResult> {
    const key = `${input.eventId}/${input.subscriptionId}`;
    const existing = this.deliveries.get(key);
    if (existing?.status === "delivered") return { status: "delivered" };
    if (existing && existing.leaseUntilMs > input.nowMs) {
      return { status: "busy", retryAfterSeconds: Math.ceil((existing.leaseUntilMs - input.nowMs) / 1000) };
    }
    const token = randomUUID();
    this.deliveries.set(key, {
      status: "pending",
      token,
      leaseUntilMs: input.nowMs + input.leaseSeconds * 1000,
    });
    return { status: "go", token };
  }

  async recordSuccess(input: DeliveryKey & { readonly attempt: AttemptRecord }): Promise<void> {
    this.deliveries.set(`${input.eventId}/${input.subscriptionId}`, {
      status: "delivered",
      token: "",
      leaseUntilMs: 0,
    });
    this.attempts.push(input.attempt);
  }

  async release(input: DeliveryKey & { readonly token: string }): Promise<void> {
    const key = `${input.eventId}/${input.subscriptionId}`;
    const existing = this.deliveries.get(key);
    if (existing?.token === input.token && existing.status === "pending") this.deliveries.delete(key);
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
