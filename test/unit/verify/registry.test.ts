import { describe, expect, it } from "vitest";
import { PROVIDERS, type ProviderName } from "../../../shared/verify/catalog.js";
import { verifierFor, verifiers } from "../../../shared/verify/registry.js";

describe("verifierFor", () => {
  it("returns a verifier for every configured provider, naming that provider", () => {
    for (const provider of PROVIDERS) {
      expect(verifierFor(provider).provider).toBe(provider);
      expect(verifierFor(provider).retryHorizonSeconds).toBeGreaterThanOrEqual(86_400);
    }
    expect(Object.keys(verifiers).sort()).toEqual([...PROVIDERS].sort());
  });

  it("throws a TypeError for a provider name that slipped past validation", () => {
    expect(() => verifierFor("paypal" as ProviderName)).toThrow(TypeError);
    expect(() => verifierFor("toString" as ProviderName)).toThrow(TypeError);
  });
});
