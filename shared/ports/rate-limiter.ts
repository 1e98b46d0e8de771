/** A per-subscription rate, counted across every concurrent delivery. */
export interface RateLimiter {
  /** Takes one of `perSecond` tokens of the current second; false when they are used up. */
  takeRateToken(subscriptionId: string, nowMs: number, perSecond: number): Promise<boolean>;
}
