import { describe, expect, it } from "vitest";
import { joinHeaders, parseTarget } from "../../../local/api-server.js";

describe("parseTarget (the local API server's request targets)", () => {
  it("splits origin-form and absolute-form targets into path and query", () => {
    expect(parseTarget("/webhooks/sw?a=1&b=2")).toEqual({
      rawPath: "/webhooks/sw",
      rawQueryString: "a=1&b=2",
    });
    expect(parseTarget("/webhooks/s%20w")).toEqual({ rawPath: "/webhooks/s%20w", rawQueryString: "" });
    expect(parseTarget("http://127.0.0.1:3000/webhooks/sw?x")).toEqual({
      rawPath: "/webhooks/sw",
      rawQueryString: "x",
    });
    expect(parseTarget("http://127.0.0.1:3000")).toEqual({ rawPath: "/", rawQueryString: "" });
  });

  it("never takes '//host/path' for a host: the path stays as sent", () => {
    expect(parseTarget("//evil/webhooks/sw")).toEqual({ rawPath: "//evil/webhooks/sw", rawQueryString: "" });
  });

  it("refuses targets that are no path, hold characters a path cannot, or have broken escapes", () => {
    for (const target of [
      "*",
      "webhooks/sw",
      "//[/x",
      "/a b",
      "/a\u00e9",
      "/webhooks/%E0%A4%A",
      "/webhooks/sw%",
      "/%zz",
    ]) {
      expect(parseTarget(target), target).toHaveProperty("error");
    }
  });
});

describe("joinHeaders (API Gateway v2 headers)", () => {
  it("lower-cases names and joins repeated headers with ','", () => {
    expect(
      joinHeaders(["Authorization", "Bearer good", "X-Other", "1", "authorization", "junk"]).headers,
    ).toEqual({ authorization: "Bearer good,junk", "x-other": "1" });
  });

  it("moves cookies into their own list", () => {
    expect(joinHeaders(["Cookie", "a=1; b=2", "cookie", "c=3", "Host", "x"])).toEqual({
      headers: { host: "x" },
      cookies: ["a=1", "b=2", "c=3"],
    });
  });
});
