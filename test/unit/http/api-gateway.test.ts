import { readFileSync } from "node:fs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  PayloadTooLargeError,
  SignatureVerificationError,
  UnknownSourceError,
} from "../../../shared/domain/errors.js";
import { headersOf, pathParameter, publicUrlOf, rawBodyOf } from "../../../shared/http/api-gateway.js";
import { errorResponse } from "../../../shared/http/responses.js";

const event = JSON.parse(
  readFileSync("test/fixtures/events/api-gateway-v2/post-webhook-github.json", "utf8"),
) as APIGatewayProxyEventV2;

describe("API Gateway v2 mapping", () => {
  it("decodes a base64 body to the exact bytes the sender posted", () => {
    expect(rawBodyOf(event).toString("utf8")).toBe("Hello, World!");
    expect(rawBodyOf({ body: "plain", isBase64Encoded: false }).toString("utf8")).toBe("plain");
    expect(rawBodyOf({ body: undefined, isBase64Encoded: false })).toHaveLength(0);
  });

  it("lower-cases header names and rebuilds the public URL", () => {
    expect(headersOf({ headers: { "X-GitHub-Event": "ping" } })).toEqual({ "x-github-event": "ping" });
    expect(publicUrlOf(event)).toBe("https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/gh");
  });

  it("reads the source id from the path", () => {
    expect(pathParameter(event, "sourceId")).toBe("gh");
    expect(() => pathParameter({ ...event, pathParameters: {} }, "sourceId")).toThrow(
      "POST /webhooks/{sourceId}",
    );
  });
});

describe("errorResponse", () => {
  it("maps domain errors to their status with a { code, detail } body", () => {
    expect(errorResponse(new UnknownSourceError("x"))).toMatchObject({ statusCode: 404 });
    const tooLarge = errorResponse(new PayloadTooLargeError(10, 5));
    expect(tooLarge).toMatchObject({ statusCode: 413 });
    expect(JSON.parse(String(tooLarge.body))).toEqual({
      code: "payload_too_large",
      detail: expect.any(String),
    });
  });

  it("gives every signature failure the same 401 body, whatever the reason", () => {
    const a = errorResponse(new SignatureVerificationError("missing_header", "no webhook-id"));
    const b = errorResponse(new SignatureVerificationError("timestamp_out_of_window", "400 s old"));
    expect(a).toEqual(b);
    expect(a.statusCode).toBe(401);
    expect(String(a.body)).not.toMatch(/webhook-id|400 s/);
  });

  it("never leaks the message or stack of an unexpected error", () => {
    const response = errorResponse(new Error("connect ECONNREFUSED 10.0.0.1:443 at Socket.<anonymous>"));
    expect(response.statusCode).toBe(500);
    expect(String(response.body)).not.toMatch(/ECONNREFUSED|Socket|at /);
    expect(JSON.parse(String(response.body)).code).toBe("internal_error");
  });
});
