import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { InvalidRequestError } from "../domain/errors.js";

/** The exact bytes the sender posted: API Gateway base64-encodes bodies it considers binary. */
export function rawBodyOf(event: Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded">): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

/** Header names lower-cased (API Gateway v2 already does; local callers may not). */
export function headersOf(
  event: Pick<APIGatewayProxyEventV2, "headers">,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}

/** The public URL the request was sent to, as a sender would have signed it. */
export function publicUrlOf(event: APIGatewayProxyEventV2): string {
  const host = event.headers?.host ?? event.requestContext?.domainName ?? "localhost";
  const proto = event.headers?.["x-forwarded-proto"] ?? "https";
  return `${proto}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ""}`;
}

export function pathParameter(event: APIGatewayProxyEventV2, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new InvalidRequestError(`The path must name a ${name}: POST /webhooks/{${name}}.`);
  return value;
}
