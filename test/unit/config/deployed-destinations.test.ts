import { describe, expect, it } from "vitest";
import { blockedOnceDeployed } from "../../../shared/config/deployed-destinations.js";
import { parseConfig } from "../../../shared/config/load-config.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const configWith = (urls: readonly string[], extra: object = {}) =>
  parseConfig({
    sources: [],
    subscriptions: urls.map((url, i) => ({ id: `s${i}`, target: { type: "http", url, secret: SECRET } })),
    ...extra,
  });
const blockedAt = (urls: readonly string[], extra: object = {}) =>
  blockedOnceDeployed(configWith(urls, extra)).map((b) => b.at);

describe("blockedOnceDeployed", () => {
  it("names a loopback http target and says no setting opens it", () => {
    const [blocked] = blockedOnceDeployed(configWith(["http://127.0.0.1:3000/_local/sink/billing"]));
    expect(blocked?.message).toBe(
      "subscriptions[0].target.url (http://127.0.0.1:3000/_local/sink/billing) would be blocked once deployed " +
        "(scheme http: is not allowed for 127.0.0.1 (allowed: https:)); no setting opens it in a deployed stack " +
        "(loopback, link-local and metadata addresses never are); use a public https URL.",
    );
  });

  it("flags what a deployed stack would refuse without allowPrivateDestinations, and only that", () => {
    const urls = [
      "https://hooks.example.com/a", // public name: judged at connect time, not here
      "https://93.184.215.14/b", // public literal
      "http://hooks.example.com/c", // plain http
      "https://10.0.0.8/d", // RFC 1918
      "https://localhost:8443/e",
      "https://[::1]/f",
      "https://169.254.169.254/g",
    ];
    expect(blockedAt(urls)).toEqual([2, 3, 4, 5, 6].map((i) => `subscriptions[${i}].target.url`));
  });

  it("lets allowPrivateDestinations open private literals (over http too) but never loopback or link-local", () => {
    const urls = [
      "https://10.0.0.8/",
      "http://192.168.1.5/",
      "http://[fd00::5]/",
      "http://127.0.0.1/",
      "https://169.254.10.1/",
    ];
    const blocked = blockedOnceDeployed(configWith(urls, { allowPrivateDestinations: true }));
    expect(blocked.map((b) => b.at)).toEqual(["subscriptions[3].target.url", "subscriptions[4].target.url"]);
    expect(blocked.every((b) => !b.openedByAllowPrivate)).toBe(true);
    const [intranet] = blockedOnceDeployed(configWith(["https://10.0.0.8/"]));
    expect(intranet?.message).toContain("set allowPrivateDestinations: true (private networks only)");
  });

  it("checks a source's jwksUrl as well", () => {
    const config = parseConfig({
      sources: [
        {
          id: "j",
          provider: "jwt",
          options: { algorithms: ["RS256"], jwksUrl: "http://127.0.0.1:8080/jwks" },
        },
      ],
      subscriptions: [],
    });
    expect(blockedOnceDeployed(config).map((b) => b.at)).toEqual(["sources[0].options.jwksUrl"]);
  });
});
