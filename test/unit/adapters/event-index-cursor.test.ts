import { describe, expect, it } from "vitest";
import {
  decodeIndexCursor,
  encodeIndexCursor,
  type IndexItem,
  mergeIndexItems,
} from "../../../shared/adapters/dynamodb-event-index-reader.js";

const item = (newest: number, key: string, events: [string, number][]): IndexItem => ({
  sk: `${String(newest).padStart(13, "0")}#${key}`,
  newest,
  entries: events.map(([id, receivedAt]) => ({ id, sourceId: "sw", type: "t", receivedAt })),
});

const all = { since: 0, until: Number.POSITIVE_INFINITY };

async function merged(items: IndexItem[], filter = all) {
  const out: { id: string; resumeSk: string | undefined }[] = [];
  for await (const { entry, resumeSk } of mergeIndexItems(items, filter))
    out.push({ id: entry.id, resumeSk });
  return out;
}

describe("the event index cursor", () => {
  it("round-trips as an opaque base64url token", () => {
    for (const cursor of [
      { h: "2026-11-24T10" },
      { h: "2026-11-24T10", r: 1796500000000, i: "evt_a" },
      { h: "2026-11-24T10", s: "1796500000000#49", r: 1796500000000, i: "evt_a" },
    ]) {
      const token = encodeIndexCursor(cursor);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeIndexCursor(token)).toEqual(cursor);
    }
  });

  it("refuses anything it did not issue with invalid_request naming the cursor", () => {
    const bad = [
      "",
      "not base64!",
      Buffer.from("not json").toString("base64url"),
      Buffer.from(JSON.stringify({ v: 2, h: "2026-11-24T10" })).toString("base64url"),
      Buffer.from(JSON.stringify({ v: 1, h: "2026-11-24" })).toString("base64url"),
      Buffer.from(JSON.stringify({ v: 1, h: "2026-11-24T10", r: 5 })).toString("base64url"),
      Buffer.from(JSON.stringify({ v: 1, h: "2026-11-24T10", s: "x" })).toString("base64url"),
      "a".repeat(2001),
    ];
    for (const token of bad)
      expect(() => decodeIndexCursor(token), token.slice(0, 30)).toThrow(
        expect.objectContaining({ code: "invalid_request", detail: expect.stringMatching(/^cursor: /) }),
      );
  });
});

describe("merging one hour's index items", () => {
  it("emits events newest first across items that overlap in time, each id once", async () => {
    // Read in sort key order (newest arrival of each item, descending); B overlaps A, C repeats a1.
    const items = [
      item(100, "A", [
        ["a1", 100],
        ["a2", 60],
        ["a3", 20],
      ]),
      item(90, "B", [
        ["b1", 90],
        ["b2", 50],
      ]),
      item(60, "C", [["a2", 60]]),
      item(10, "D", [["d1", 10]]),
    ];
    expect((await merged(items)).map((e) => e.id)).toEqual(["a1", "b1", "a2", "b2", "a3", "d1"]);
  });

  it("gives each event the greatest sort key of an item still holding later events, or the next item's", async () => {
    const items = [
      item(100, "A", [
        ["a1", 100],
        ["a2", 20],
      ]),
      item(90, "B", [["b1", 90]]),
      item(10, "D", [["d1", 10]]),
    ];
    expect(await merged(items)).toEqual([
      // a2 (in A) is still to come: resume by re-reading from A.
      { id: "a1", resumeSk: items[0]?.sk },
      { id: "b1", resumeSk: items[0]?.sk },
      // A and B are done: resume from D, the next item.
      { id: "a2", resumeSk: items[2]?.sk },
      // The hour is done.
      { id: "d1", resumeSk: undefined },
    ]);
  });

  it("resumes strictly after a position, and keeps to the time range", async () => {
    const items = [
      item(100, "A", [
        ["a1", 100],
        ["a0", 100],
        ["a2", 60],
      ]),
      item(50, "B", [["b1", 50]]),
    ];
    expect((await merged(items, { ...all, after: { r: 100, i: "a1" } } as never)).map((e) => e.id)).toEqual([
      "a0",
      "a2",
      "b1",
    ]);
    expect((await merged(items, { since: 50, until: 100 })).map((e) => e.id)).toEqual(["a2", "b1"]);
  });
});
