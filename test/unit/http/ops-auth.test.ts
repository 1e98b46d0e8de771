import { describe, expect, it } from "vitest";
import { listClaim, localOperatorClaims, operatorRulesOf } from "../../../shared/http/ops-auth.js";

describe("list claims as API Gateway hands them over", () => {
  it("reads API Gateway's flattened arrays, JSON arrays, space- and comma-separated lists", () => {
    expect(listClaim("[ops-admins staff]")).toEqual(["ops-admins", "staff"]);
    expect(listClaim('["a b", "c"]')).toEqual(["a b", "c"]);
    expect(listClaim("openid ops:read  ops:write")).toEqual(["openid", "ops:read", "ops:write"]);
    expect(listClaim("a,b")).toEqual(["a", "b"]);
    expect(listClaim(["x"])).toEqual(["x"]);
    expect(listClaim(undefined)).toEqual([]);
    expect(listClaim(true)).toEqual(["true"]);
  });
});

describe("operator rules", () => {
  it("default to the scopes ops:read and ops:write and the groups claim 'groups'", () => {
    expect(operatorRulesOf(undefined)).toEqual({
      readScope: "ops:read",
      writeScope: "ops:write",
      groupsClaim: "groups",
    });
    expect(operatorRulesOf({ type: "iam" })).toEqual(operatorRulesOf(undefined));
  });

  it("give the local operator both scopes of the config", () => {
    const rules = operatorRulesOf({
      type: "jwt",
      issuer: "https://i.example.com",
      audience: ["a"],
      readScope: "r",
      writeScope: "w",
    });
    expect(localOperatorClaims(rules)).toEqual({ sub: "local-operator", scope: "r w" });
  });
});
