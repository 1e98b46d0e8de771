import type {
  BreakerView,
  DiscardSetAsideReport,
  DiscardSetAsideRequest,
  EventDetail,
  EventFilter,
  EventPage,
  RedriveReport,
  RedriveRequest,
  ReplayEstimate,
  ReplayFilter,
  ReplayStatus,
  ResendResult,
  StreamFailureList,
  SubscriptionHealth,
} from "../shared/use-cases/ops/contract.js";

/**
 * The ops API (`/ops/api/`, beside this page), typed with the contract's shapes. Every call carries the
 * operator's token; a failure is an `ApiError` with the API's `detail` (one line saying what is wrong).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** The events list's query: the use case's filter, plus the page size and the cursor of the next page. */
export interface EventQuery extends EventFilter {
  readonly limit?: number;
  readonly cursor?: string;
}

export interface Api {
  listEvents(query: EventQuery, signal?: AbortSignal): Promise<EventPage>;
  getEvent(id: string, signal?: AbortSignal): Promise<EventDetail>;
  resend(id: string, subscriptions?: readonly string[]): Promise<ResendResult>;
  erasePayload(id: string): Promise<{ readonly id: string; readonly erasedAt: string }>;
  estimateReplay(filter: ReplayFilter, signal?: AbortSignal): Promise<ReplayEstimate>;
  startReplay(filter: ReplayFilter): Promise<{ readonly id: string }>;
  getReplay(id: string, signal?: AbortSignal): Promise<ReplayStatus>;
  listSubscriptions(signal?: AbortSignal): Promise<readonly SubscriptionHealth[]>;
  pause(id: string): Promise<SubscriptionHealth>;
  resume(id: string): Promise<SubscriptionHealth>;
  closeBreaker(url: string): Promise<BreakerView>;
  listStreamFailures(signal?: AbortSignal): Promise<StreamFailureList>;
  /** One call: while the answer is not `done`, call again with its `cursor` (and the same `dryRun`). */
  redrive(request: RedriveRequest, signal?: AbortSignal): Promise<RedriveReport>;
  discardSetAside(request: DiscardSetAsideRequest, signal?: AbortSignal): Promise<DiscardSetAsideReport>;
}

/** What a non-2xx answer says: `{ code, detail }` from the functions, `{ message }` from API Gateway. */
async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof record.detail === "string") {
    return new ApiError(response.status, String(record.code ?? "error"), record.detail);
  }
  if (response.status === 401) {
    return new ApiError(
      401,
      "unauthorized",
      "The ops API refused the token: it is missing, expired or wrong.",
    );
  }
  const message = typeof record.message === "string" ? record.message : response.statusText;
  return new ApiError(response.status, "error", `The ops API answered ${response.status} ${message}.`);
}

export function createApi(options: {
  readonly base: URL;
  readonly token: () => string | undefined;
  /** Called on every 401, before the error is thrown. */
  readonly onUnauthorized: (error: ApiError) => void;
}): Api {
  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, options.base), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
        cache: "no-store",
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(
        0,
        "network",
        `Could not reach the ops API at ${options.base.href}: ${String(error)}.`,
      );
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.status === 401) options.onUnauthorized(error);
      throw error;
    }
    return (await response.json()) as T;
  }

  const query = (params: EventQuery): string => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== "") search.set(name, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : "";
  };
  const id = (value: string) => encodeURIComponent(value);

  return {
    listEvents: (params, signal) => call("GET", `events${query(params)}`, undefined, signal),
    getEvent: (eventId, signal) => call("GET", `events/${id(eventId)}`, undefined, signal),
    resend: (eventId, subscriptions) =>
      call("POST", `events/${id(eventId)}/resend`, subscriptions ? { subscriptions } : {}),
    erasePayload: (eventId) => call("DELETE", `events/${id(eventId)}/payload`),
    estimateReplay: (filter, signal) => call("POST", "replays", { filter, dryRun: true }, signal),
    startReplay: (filter) => call("POST", "replays", { filter }),
    getReplay: (replayId, signal) => call("GET", `replays/${id(replayId)}`, undefined, signal),
    listSubscriptions: async (signal) =>
      (await call<{ subscriptions: SubscriptionHealth[] }>("GET", "subscriptions", undefined, signal))
        .subscriptions,
    pause: (subscription) => call("POST", `subscriptions/${id(subscription)}/pause`),
    resume: (subscription) => call("POST", `subscriptions/${id(subscription)}/resume`),
    closeBreaker: (url) => call("POST", "breakers/close", { url }),
    listStreamFailures: (signal) => call("GET", "stream-failures", undefined, signal),
    redrive: (request, signal) => call("POST", "stream-failures/redrive", request, signal),
    discardSetAside: (request, signal) => call("POST", "stream-failures/discard", request, signal),
  };
}
