import type { AttemptOutcome } from "../domain/delivery-policy.js";

export interface HttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** POSTs once; never throws: every failure is an `AttemptOutcome` of kind `error`. */
export interface HttpSender {
  post(request: HttpRequest): Promise<AttemptOutcome>;
}
