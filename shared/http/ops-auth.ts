import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "zod";
import { DEFAULT_OPS_GROUPS_CLAIM, DEFAULT_OPS_SCOPES, type OpsAuthConfig } from "../config/schema.js";
import { ForbiddenError, UnauthorizedError, type WebhookError } from "../domain/errors.js";
import type { Operator } from "../use-cases/ops/contract.js";
import type { OpsAccess } from "./ops-routes.js";

/**
 * Who is calling the ops API, and may they read or act. API Gateway's authorizer has already checked
 * the caller (a JWT's signature, issuer, audience and expiry; or an IAM signature) and hands its result
 * over in `requestContext.authorizer`; the local API server hands over the same shape for its token.
 * Here the function reads it: the operator's name (logged with every mutating call) and, for a JWT, its
 * scopes or groups.
 */

/** How a JWT's claims grant read and write (`ops.auth` of the config, defaults filled in). */
export interface OperatorRules {
  readonly readScope: string;
  readonly writeScope: string;
  readonly groupsClaim: string;
  readonly readGroup?: string;
  readonly writeGroup?: string;
}

export function operatorRulesOf(auth: OpsAuthConfig | undefined): OperatorRules {
  const jwt = auth?.type === "jwt" ? auth : undefined;
  return {
    readScope: jwt?.readScope ?? DEFAULT_OPS_SCOPES.read,
    writeScope: jwt?.writeScope ?? DEFAULT_OPS_SCOPES.write,
    groupsClaim: jwt?.groupsClaim ?? DEFAULT_OPS_GROUPS_CLAIM,
    ...(jwt?.readGroup ? { readGroup: jwt.readGroup } : {}),
    ...(jwt?.writeGroup ? { writeGroup: jwt.writeGroup } : {}),
  };
}

/** The operator the local API server vouches for once its token matched: reads and writes. */
export const LOCAL_OPERATOR = "local-operator";
export function localOperatorClaims(rules: OperatorRules): Record<string, string> {
  return { sub: LOCAL_OPERATOR, scope: `${rules.readScope} ${rules.writeScope}` };
}

/** An operator as the API sees it: may they read at all (a valid token without the scopes may not). */
export interface AuthorizedOperator extends Operator {
  readonly canRead: boolean;
}

const claimValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
const authorizerSchema = z.object({
  jwt: z.object({ claims: z.record(z.string(), claimValue) }).optional(),
  iam: z.object({ userArn: z.string().nullish(), callerId: z.string().nullish() }).optional(),
});
type ClaimValue = z.infer<typeof claimValue>;

/**
 * A list claim as API Gateway hands it over: a JWT array arrives flattened to a string (`[a b]`), a
 * scope claim is space-separated, some issuers use commas or a JSON array.
 */
export function listClaim(value: ClaimValue | undefined): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  const text = String(value).trim();
  if (text.startsWith("[") && text.endsWith("]")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // API Gateway's own rendering, `[a b]`: not JSON.
    }
    return listClaim(text.slice(1, -1));
  }
  return text.split(/[\s,]+/).filter((item) => item.length > 0);
}

const NO_IDENTITY =
  "No operator identity on this request: the ops routes answer only behind the authorizer that ops.auth " +
  "configures (locally: send Authorization: Bearer <opsToken> from npm start's state file).";

/** The operator behind this request, or 401 `unauthorized` when the authorizer named nobody. */
export function operatorOf(
  event: APIGatewayProxyEventV2,
  rules: OperatorRules,
): AuthorizedOperator | WebhookError {
  const parsed = authorizerSchema.safeParse((event.requestContext as { authorizer?: unknown }).authorizer);
  const authorizer = parsed.success ? parsed.data : {};
  if (authorizer.jwt) {
    const claims = authorizer.jwt.claims;
    const name = [claims.email, claims.sub, claims.client_id, claims.username].find(
      (v): v is string => typeof v === "string" && v.length > 0,
    );
    if (!name) {
      return new UnauthorizedError(
        "The token names no operator (no email, sub, client_id or username claim); ask the issuer for one that does.",
      );
    }
    const scopes = new Set([...listClaim(claims.scope), ...listClaim(claims.scp)]);
    const groups = new Set(listClaim(claims[rules.groupsClaim]));
    const canWrite =
      scopes.has(rules.writeScope) || (rules.writeGroup !== undefined && groups.has(rules.writeGroup));
    const canRead =
      canWrite ||
      scopes.has(rules.readScope) ||
      (rules.readGroup !== undefined && groups.has(rules.readGroup));
    return { id: name, canWrite, canRead };
  }
  const arn = authorizer.iam?.userArn ?? authorizer.iam?.callerId;
  // IAM: the caller's own policies (execute-api:Invoke on these routes) already decided what it may call.
  if (arn) return { id: arn, canWrite: true, canRead: true };
  return new UnauthorizedError(NO_IDENTITY);
}

/** 403 `forbidden` unless the operator has `access`; the detail names the scope or group that is missing. */
export function requireAccess(
  operator: AuthorizedOperator,
  access: OpsAccess,
  what: string,
  rules: OperatorRules,
): ForbiddenError | undefined {
  if (access === "write" && !operator.canWrite) {
    const group = rules.writeGroup
      ? ` or membership of group '${rules.writeGroup}' (claim '${rules.groupsClaim}')`
      : "";
    return new ForbiddenError(
      `Operator '${operator.id}' may only read; ${what} changes something and needs scope '${rules.writeScope}'${group}.`,
    );
  }
  if (!operator.canRead) {
    const groups = [rules.readGroup, rules.writeGroup].filter((g): g is string => g !== undefined);
    const group =
      groups.length > 0
        ? ` or membership of group ${groups.map((g) => `'${g}'`).join(" or ")} (claim '${rules.groupsClaim}')`
        : "";
    return new ForbiddenError(
      `Operator '${operator.id}' may not use the ops API: the token needs scope '${rules.readScope}' or '${rules.writeScope}'${group}.`,
    );
  }
  return undefined;
}
