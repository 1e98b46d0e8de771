import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  ERROR_CODES,
  type ErrorCode,
  InFlightError,
  MethodNotAllowedError,
  WebhookError,
} from "../domain/errors.js";

/** The one place where domain error codes become HTTP statuses. */
const STATUS: Record<ErrorCode, number> = {
  [ERROR_CODES.unknownSource]: 404,
  [ERROR_CODES.invalidSignature]: 401,
  [ERROR_CODES.payloadTooLarge]: 413,
  [ERROR_CODES.invalidRequest]: 400,
  [ERROR_CODES.inFlight]: 409,
  [ERROR_CODES.unsupportedMediaType]: 415,
  [ERROR_CODES.verificationUnavailable]: 503,
  [ERROR_CODES.notFound]: 404,
  [ERROR_CODES.routeNotFound]: 404,
  [ERROR_CODES.methodNotAllowed]: 405,
  [ERROR_CODES.forbidden]: 403,
  [ERROR_CODES.conflict]: 409,
  [ERROR_CODES.internal]: 500,
};

const JSON_HEADERS = { "content-type": "application/json" } as const;

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** `{ code, detail }` for domain errors; a bare 500 with no error text for anything else. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  if (error instanceof WebhookError) {
    const headers: Record<string, string> =
      error instanceof InFlightError
        ? { "retry-after": String(error.retryAfterSeconds) }
        : error instanceof MethodNotAllowedError
          ? { allow: error.allow.join(", ") }
          : {};
    return json(STATUS[error.code], { code: error.code, detail: error.detail }, headers);
  }
  return json(500, {
    code: ERROR_CODES.internal,
    detail: "Internal error; the event was not accepted. Retry later.",
  });
}
