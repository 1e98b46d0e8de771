import { describe, expect, it } from "vitest";
import { jsonLines, table } from "../../../ops/format.js";

interface Row {
  readonly id: string;
  readonly count?: number;
  readonly note?: string;
}

const columns = [
  { header: "ID", value: (r: Row) => r.id },
  { header: "COUNT", value: (r: Row) => r.count },
  { header: "NOTE", value: (r: Row) => r.note, maxWidth: 10 },
];

describe("ops output", () => {
  it("aligns columns under their headers, numbers to the right, missing values as '-'", () => {
    expect(
      table(
        [
          { id: "billing", count: 3, note: "ok" },
          { id: "a", count: 120 },
        ],
        columns,
      ),
    ).toEqual(["ID       COUNT  NOTE", "billing      3  ok", "a          120  -"]);
  });

  it("shortens long text in a table, on one line", () => {
    expect(table([{ id: "x", note: "HTTP 503\nfrom https://example.com" }], columns)[1]).toBe(
      "x   -      HTTP 503 …",
    );
  });

  it("keeps a column with no values at all to the left", () => {
    expect(table([{ id: "x" }], columns)).toEqual(["ID  COUNT  NOTE", "x   -      -"]);
  });

  it("prints nothing for no rows", () => {
    expect(table([], columns)).toEqual([]);
  });

  it("prints one JSON object per line, numbers as numbers", () => {
    expect(jsonLines([{ id: "a", count: 3 }, { id: "b" }])).toEqual(['{"id":"a","count":3}', '{"id":"b"}']);
  });
});
