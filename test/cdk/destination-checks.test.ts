import { Annotations, Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { BLOCKED_DESTINATION_WARNING } from "../../cdk/lib/destination-checks.js";
import { type SynthResult, synthTemplate } from "../../cdk/lib/synth-template.js";
import { ENV } from "../../shared/config/env.js";
import { resourcesOfType } from "./template-helpers.js";

let synth: SynthResult;

beforeAll(() => {
  // The warnings and the environment live in the construct tree: no bundling needed.
  synth = synthTemplate({
    configPath: "test/cdk/fixtures/webhooks.blocked-destinations.json",
    bundle: false,
  });
}, 120_000);

describe("destinations a deployed stack would refuse", () => {
  it("warn at synth (so --strict fails) for each such target URL and jwksUrl, and for nothing else", () => {
    const warnings = Annotations.fromStack(synth.stack)
      .findWarning("*", Match.stringLikeRegexp(BLOCKED_DESTINATION_WARNING))
      .map((w) => String(w.entry.data));
    expect(warnings).toHaveLength(3);
    expect(
      warnings.find((w) => w.startsWith("sources[0].options.jwksUrl (http://127.0.0.1:8080/jwks)")),
    ).toContain("no setting opens it");
    expect(
      warnings.find((w) => w.startsWith("subscriptions[0].target.url (http://127.0.0.1:3000/hook)")),
    ).toContain("would be blocked once deployed");
    expect(
      warnings.find((w) => w.startsWith("subscriptions[1].target.url (https://10.0.0.8/hook)")),
    ).toContain("set allowPrivateDestinations");
  });

  it("never hand a deployed function the local runtime's loopback switch", () => {
    const functions = resourcesOfType(synth.template, "AWS::Lambda::Function");
    expect(functions.length).toBeGreaterThanOrEqual(3);
    for (const [id, fn] of functions) {
      const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables;
      expect(Object.keys(variables ?? {}), id).not.toContain(ENV.localAllowLoopback);
    }
  });
});
