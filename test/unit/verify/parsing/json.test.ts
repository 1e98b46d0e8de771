import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  asJsonObject,
  jsonAt,
  jsonIdAt,
  jsonIntegerAt,
  jsonObjectAt,
  jsonStringAt,
  parseJsonObject,
} from "../../../../shared/verify/parsing/json.js";

const BODY = {
  id: "evt_1",
  empty: "",
  count: 42,
  negative: -1,
  big: 2 ** 60,
  list: ["a"],
  event: { type: "invoice.paid", id: 7, nested: { deep: "yes" } },
};

describe("jsonAt and the typed readers", () => {
  it("follow a path of object keys", () => {
    expect(jsonAt(BODY)).toBe(BODY);
    expect(jsonAt(BODY, "event", "nested", "deep")).toBe("yes");
    expect(jsonStringAt(BODY, "id")).toBe("evt_1");
    expect(jsonStringAt(BODY, "event", "type")).toBe("invoice.paid");
    expect(jsonObjectAt(BODY, "event", "nested")).toEqual({ deep: "yes" });
    expect(jsonIdAt(BODY, "event", "id")).toBe("7");
    expect(jsonIdAt(BODY, "id")).toBe("evt_1");
    expect(jsonIntegerAt(BODY, "count")).toBe(42);
  });

  it("give undefined for a missing step, a step that is not a plain object, or a value of another type", () => {
    expect(jsonAt(BODY, "missing", "type")).toBeUndefined();
    expect(jsonAt(BODY, "list", "0")).toBeUndefined();
    expect(jsonAt(null, "id")).toBeUndefined();
    expect(jsonAt("text", "length")).toBeUndefined();
    expect(jsonStringAt(BODY, "empty")).toBeUndefined();
    expect(jsonStringAt(BODY, "count")).toBeUndefined();
    expect(jsonObjectAt(BODY, "list")).toBeUndefined();
    expect(jsonIdAt(BODY, "big")).toBeUndefined();
    expect(jsonIntegerAt(BODY, "negative")).toBeUndefined();
    expect(jsonIntegerAt(BODY, "id")).toBeUndefined();
  });

  it("ignore properties inherited from Object.prototype", () => {
    expect(jsonAt({}, "constructor")).toBeUndefined();
    expect(jsonStringAt({ event: {} }, "event", "toString")).toBeUndefined();
  });

  it("never throw, whatever the value and path", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.string(), { maxLength: 4 }), (value, path) => {
        jsonAt(value, ...path);
        jsonStringAt(value, ...path);
        jsonObjectAt(value, ...path);
        jsonIdAt(value, ...path);
        jsonIntegerAt(value, ...path);
      }),
    );
  });
});

describe("asJsonObject and parseJsonObject", () => {
  it("accept plain objects only", () => {
    expect(asJsonObject({ a: 1 })).toEqual({ a: 1 });
    expect(asJsonObject([1])).toBeUndefined();
    expect(asJsonObject(null)).toBeUndefined();
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonObject("[1]")).toBeUndefined();
    expect(parseJsonObject("{not json")).toBeUndefined();
  });
});
