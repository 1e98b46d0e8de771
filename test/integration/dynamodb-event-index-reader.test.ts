import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createTable } from "../../local/provision.js";
import { DynamoDbEventIndex } from "../../shared/adapters/dynamodb-event-index.js";
import { DynamoDbEventIndexReader } from "../../shared/adapters/dynamodb-event-index-reader.js";
import type { IndexedEvent } from "../../shared/ports/event-index.js";
import type { IndexEntry, IndexScan } from "../../shared/ports/event-index-reader.js";
import { buildTopology } from "../../shared/topology/topology.js";
import { dynamoDbClient, uniqueName } from "../support/aws.js";

const client = dynamoDbClient();
const spec = buildTopology({ sources: [], subscriptions: [] }, { prefix: "x" }).tables.delivery;
const T0 = Date.parse("2026-11-24T10:00:00Z");
const HOUR = 3_600_000;
const clock = { now: () => T0 + 10 * HOUR };

async function freshIndex() {
  const table = uniqueName("index");
  await createTable(client, { ...spec, name: table });
  return {
    writer: new DynamoDbEventIndex(client, table),
    reader: new DynamoDbEventIndexReader(client, table, clock),
    table,
  };
}

const event = (n: number, at: number, overrides: Partial<IndexedEvent> = {}): IndexedEvent => ({
  id: `evt_${String(n).padStart(4, "0")}`,
  sourceId: "sw",
  type: n % 2 === 0 ? "invoice.paid" : "order.created",
  receivedAt: at,
  expiresAt: Math.floor(T0 / 1000) + 86_400,
  ...overrides,
});

async function all(reader: DynamoDbEventIndexReader, scan: IndexScan): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  for await (const entry of reader.scan(scan)) out.push(entry);
  return out;
}

/** Pages of `size` through a scan, each page a new scan from the last entry's cursor. */
async function paged(reader: DynamoDbEventIndexReader, scan: IndexScan, size: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page: IndexEntry[] = [];
    for await (const entry of reader.scan({ ...scan, ...(cursor === undefined ? {} : { cursor }) })) {
      page.push(entry);
      if (page.length === size) break;
    }
    if (page.length === 0) return pages;
    pages.push(page.map((e) => e.id));
    cursor = page[page.length - 1]?.after;
  }
}

const range = { since: T0 - 24 * HOUR, until: T0 + 10 * HOUR };

describe("DynamoDbEventIndexReader (against DynamoDB Local)", () => {
  let index: Awaited<ReturnType<typeof freshIndex>>;
  const events: IndexedEvent[] = [];

  beforeAll(async () => {
    index = await freshIndex();
    // Two shards whose batches overlap in time, in three hours (one of them with a gap of empty hours
    // before it), and a retried batch that lists three events again under another key.
    for (let b = 0; b < 6; b++) {
      const shardA = Array.from({ length: 7 }, (_, i) => event(b * 20 + i, T0 + b * 1000 + i * 100));
      const shardB = Array.from({ length: 7 }, (_, i) =>
        event(b * 20 + 10 + i, T0 + b * 1000 + i * 100 + 50),
      );
      await index.writer.append(shardA, `A${b}`);
      await index.writer.append(shardB, `B${b}`);
      events.push(...shardA, ...shardB);
    }
    await index.writer.append(events.slice(3, 6), "A0-retried");
    const later = Array.from({ length: 5 }, (_, i) => event(500 + i, T0 + 5 * HOUR + i));
    const earlier = Array.from({ length: 5 }, (_, i) => event(600 + i, T0 - 3 * HOUR + i));
    await index.writer.append(later, "L");
    await index.writer.append(earlier, "E");
    events.push(...later, ...earlier);
  });

  const expected = () =>
    [...events].sort((a, b) => b.receivedAt - a.receivedAt || b.id.localeCompare(a.id)).map((e) => e.id);

  it("lists every event once, newest first, across overlapping items and hours", async () => {
    const listed = await all(index.reader, range);
    expect(listed.map((e) => e.id)).toEqual(expected());
    expect(listed[0]).toEqual({
      id: "evt_0504",
      sourceId: "sw",
      type: "invoice.paid",
      receivedAt: T0 + 5 * HOUR + 4,
      after: expect.stringMatching(/^[A-Za-z0-9_-]+$/),
    });
  });

  it("continues from any entry's cursor exactly where it stopped, whatever the page size", async () => {
    for (const size of [1, 3, 7, 50]) {
      const pages = await paged(index.reader, range, size);
      expect(pages.flat(), `page size ${size}`).toEqual(expected());
      expect(pages.slice(0, -1).every((p) => p.length === size)).toBe(true);
    }
  });

  it("filters by source, type and time range ([since, until))", async () => {
    const invoices = await all(index.reader, { ...range, type: "invoice.paid" });
    expect(invoices.map((e) => e.id)).toEqual(expected().filter((id) => Number(id.slice(4)) % 2 === 0));
    expect(await all(index.reader, { ...range, sourceId: "gh" })).toEqual([]);
    const window = await all(index.reader, { since: T0 + 1000, until: T0 + 2000 });
    expect(window.map((e) => e.receivedAt).every((t) => t >= T0 + 1000 && t < T0 + 2000)).toBe(true);
    expect(window).toHaveLength(14);
    const pages = await paged(index.reader, { since: T0 + 1000, until: T0 + 2000, type: "order.created" }, 2);
    expect(pages.flat()).toEqual(window.filter((e) => e.type === "order.created").map((e) => e.id));
  });

  it("skips index items past their TTL, which DynamoDB may not have deleted yet", async () => {
    const { writer, reader } = await freshIndex();
    await writer.append([event(1, T0, { expiresAt: Math.floor(clock.now() / 1000) - 1 })], "old");
    await writer.append([event(2, T0 + 1)], "live");
    expect((await all(reader, range)).map((e) => e.id)).toEqual(["evt_0002"]);
  });

  it("finds nothing in a week of empty hours (looked ahead in parallel)", async () => {
    const { reader } = await freshIndex();
    expect(await all(reader, { since: T0 - 7 * 24 * HOUR, until: T0 })).toEqual([]);
  });

  it("refuses a cursor it did not issue, naming the cursor", async () => {
    for (const cursor of ["nope!", Buffer.from('{"v":2}').toString("base64url"), "eyJ2IjoxfQ"]) {
      await expect(all(index.reader, { ...range, cursor })).rejects.toMatchObject({
        code: "invalid_request",
        detail: expect.stringMatching(/^cursor: /),
      });
    }
  });

  it("ignores an index item it cannot read rather than failing the listing", async () => {
    const { writer, reader, table } = await freshIndex();
    await writer.append([event(7, T0)], "good");
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: "idx#2026-11-24T10" },
          sk: { S: `${String(T0 + 5).padStart(13, "0")}#bad` },
          ev: { S: "{" },
        },
      }),
    );
    expect((await all(reader, range)).map((e) => e.id)).toEqual(["evt_0007"]);
  });
});
