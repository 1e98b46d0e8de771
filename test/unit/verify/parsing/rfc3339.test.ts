import { describe, expect, it } from "vitest";
import { parseRfc3339 } from "../../../../shared/verify/parsing/rfc3339.js";

const NOW = 1_700_000_000;
/** `NOW` as Twitch writes it: RFC 3339 with nanoseconds. */
const TIMESTAMP = "2023-11-14T22:13:20.123456789Z";

describe("parseRfc3339", () => {
  it("reads UTC and offset date-times to unix seconds, fractions kept", () => {
    expect(parseRfc3339("2023-11-14T22:13:20Z")).toBe(NOW);
    expect(parseRfc3339(TIMESTAMP)).toBeCloseTo(NOW + 0.123456789, 6);
    expect(parseRfc3339("2023-11-14T23:43:20+01:30")).toBe(NOW);
    expect(parseRfc3339("2023-11-14T20:13:20-02:00")).toBe(NOW);
    expect(parseRfc3339("2023-11-14t22:13:20z")).toBe(NOW);
    expect(parseRfc3339("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29) / 1000);
    expect(parseRfc3339("1970-01-01T00:00:00Z")).toBe(0);
    expect(parseRfc3339("0001-01-01T00:00:00Z")).toBe(new Date("0001-01-01T00:00:00Z").getTime() / 1000);
  });

  it("rejects anything that is not a valid RFC 3339 date-time", () => {
    for (const text of [
      "",
      "2023-11-14T22:13:20",
      "2023-11-14 22:13:20Z",
      "2023-11-14T22:13:20.Z",
      "2023-11-14T22:13:20.1234567890Z",
      "2023-02-29T00:00:00Z",
      "2023-13-01T00:00:00Z",
      "2023-00-01T00:00:00Z",
      "2023-04-31T00:00:00Z",
      "2023-11-14T24:00:00Z",
      "2023-11-14T22:60:00Z",
      "2023-11-14T22:13:60Z",
      "2023-11-14T22:13:20+24:00",
      "2023-11-14T22:13:20+0100",
      " 2023-11-14T22:13:20Z",
      "2023-11-14T22:13:20Z ",
      "1700000000",
      "+2023-11-14T22:13:20Z",
    ]) {
      expect(parseRfc3339(text)).toBeUndefined();
    }
  });
});
