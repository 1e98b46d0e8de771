import { describe, expect, it } from "vitest";
import { eventTypeMatches, subscriptionMatches } from "../../../shared/domain/routing.js";

describe("eventTypeMatches", () => {
  it.each([
    ["invoice.*", "invoice.paid", true],
    ["invoice.*", "invoice", false],
    ["invoice.*", "invoices.paid", false],
    ["*", "anything", true],
    ["push", "push", true],
    ["push", "push.x", false],
  ])("pattern %s against %s is %s", (pattern, type, expected) => {
    expect(eventTypeMatches(pattern, type)).toBe(expected);
  });
});

describe("subscriptionMatches", () => {
  const event = { sourceId: "stripe", type: "invoice.paid" };
  it("matches everything when no filter is set", () => {
    expect(subscriptionMatches({}, event)).toBe(true);
  });
  it("filters on source and on event type together", () => {
    expect(subscriptionMatches({ sources: ["stripe"], eventTypes: ["invoice.*"] }, event)).toBe(true);
    expect(subscriptionMatches({ sources: ["gh"], eventTypes: ["invoice.*"] }, event)).toBe(false);
    expect(subscriptionMatches({ sources: ["stripe"], eventTypes: ["charge.*"] }, event)).toBe(false);
  });
});
