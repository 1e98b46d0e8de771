/**
 * Typed errors of the webhook domain. Each carries a stable `code`; the HTTP status is chosen at the
 * edge (`shared/http/responses.ts`), never here. `detail` is safe to show to the caller.
 */
export const ERROR_CODES = {
  unknownSource: "unknown_source",
  invalidSignature: "invalid_signature",
  payloadTooLarge: "payload_too_large",
  invalidRequest: "invalid_request",
  unsupportedMediaType: "unsupported_media_type",
  verificationUnavailable: "verification_unavailable",
  notFound: "not_found",
  /** No operator identity on an ops request (the authorizer did not run or named nobody). */
  unauthorized: "unauthorized",
  /** The operator is known but may not do this (a read-only operator on a mutating route). */
  forbidden: "forbidden",
  /** The request contradicts the current state (a replay already running, resending an erased payload, …). */
  conflict: "conflict",
  routeNotFound: "route_not_found",
  methodNotAllowed: "method_not_allowed",
  internal: "internal_error",
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class WebhookError extends Error {
  override readonly name: string = "WebhookError";
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

export class UnknownSourceError extends WebhookError {
  override readonly name = "UnknownSourceError";
  constructor(sourceId: string) {
    super(ERROR_CODES.unknownSource, `No webhook source '${sourceId}' is configured.`);
  }
}

/** Why a signature did not verify. Logged for operators; never shown to the caller. */
export const SIGNATURE_FAILURES = {
  missingHeader: "missing_header",
  duplicateHeader: "duplicate_header",
  malformedHeader: "malformed_header",
  timestampOutOfWindow: "timestamp_out_of_window",
  noMatchingSignature: "no_matching_signature",
  unusableSecret: "unusable_secret",
  invalidToken: "invalid_token",
} as const;
export type SignatureFailure = (typeof SIGNATURE_FAILURES)[keyof typeof SIGNATURE_FAILURES];

/** Every verification failure is this one error; callers always see the same 401 body. */
export class SignatureVerificationError extends WebhookError {
  override readonly name = "SignatureVerificationError";
  constructor(
    readonly reason: SignatureFailure,
    /** Operator-facing explanation (which header, which bound); goes to the log only. */
    readonly logDetail: string,
  ) {
    super(ERROR_CODES.invalidSignature, "The webhook signature could not be verified.");
  }
}

export class PayloadTooLargeError extends WebhookError {
  override readonly name = "PayloadTooLargeError";
  constructor(size: number, limit: number) {
    super(ERROR_CODES.payloadTooLarge, `The body is ${size} bytes; this source accepts at most ${limit}.`);
  }
}

export class InvalidRequestError extends WebhookError {
  override readonly name = "InvalidRequestError";
  constructor(detail: string) {
    super(ERROR_CODES.invalidRequest, detail);
  }
}

export class UnsupportedMediaTypeError extends WebhookError {
  override readonly name = "UnsupportedMediaTypeError";
  constructor(received: string | undefined, accepted: readonly string[]) {
    super(
      ERROR_CODES.unsupportedMediaType,
      `Content-Type ${received ? `'${received}'` : "(none)"} is not accepted here; send one of: ${accepted.join(", ")}.`,
    );
  }
}

/** A key source the verifier needs (a JWKS endpoint) is unreachable and no cached key fits: retry later. */
export class VerificationUnavailableError extends WebhookError {
  override readonly name = "VerificationUnavailableError";
  constructor(
    readonly logDetail: string,
    options?: { cause?: unknown },
  ) {
    super(
      ERROR_CODES.verificationUnavailable,
      "Signature keys are temporarily unavailable; retry later.",
      options,
    );
  }
}

/** A thing the caller named does not exist (an event id, a replay id, a subscription). */
export class NotFoundError extends WebhookError {
  override readonly name = "NotFoundError";
  constructor(detail: string) {
    super(ERROR_CODES.notFound, detail);
  }
}

export class UnauthorizedError extends WebhookError {
  override readonly name = "UnauthorizedError";
  constructor(detail: string) {
    super(ERROR_CODES.unauthorized, detail);
  }
}

export class ForbiddenError extends WebhookError {
  override readonly name = "ForbiddenError";
  constructor(detail: string) {
    super(ERROR_CODES.forbidden, detail);
  }
}

export class ConflictError extends WebhookError {
  override readonly name = "ConflictError";
  constructor(detail: string) {
    super(ERROR_CODES.conflict, detail);
  }
}

/** A request path as shown in a `detail`: at most 200 characters. */
const shownPath = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);

/** No route of the HTTP API matches the request's method and path. */
export class RouteNotFoundError extends WebhookError {
  override readonly name = "RouteNotFoundError";
  constructor(method: string, path: string) {
    super(
      ERROR_CODES.routeNotFound,
      `No route for ${method} ${shownPath(path)}; webhooks go to POST /webhooks/{sourceId}.`,
    );
  }
}

/** The path names a resource, but it does not answer this method; `allow` lists those it does. */
export class MethodNotAllowedError extends WebhookError {
  override readonly name = "MethodNotAllowedError";
  constructor(
    method: string,
    path: string,
    readonly allow: readonly string[],
  ) {
    super(
      ERROR_CODES.methodNotAllowed,
      `${shownPath(path)} does not answer ${method}; send webhooks with ${allow.join(" or ")}.`,
    );
  }
}
