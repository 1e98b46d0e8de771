import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from "@aws-sdk/client-dynamodb";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { InvalidRequestError } from "../domain/errors.js";
import { decodeCursor, encodeCursor } from "../domain/opaque-cursor.js";
import type { Clock } from "../ports/clock.js";
import type { EventIndexReader, IndexEntry, IndexScan } from "../ports/event-index-reader.js";
import { indexPartition } from "./dynamodb-event-index.js";

/**
 * Reads the event index (`dynamodb-event-index.ts` writes it: per stream batch and hour, one item
 * `pk = idx#<hour>`, `sk = <newest arrival, 13 digits>#<batch key>`, `ev` = the batch's events newest
 * first) back newest first, hour partition by hour partition.
 *
 * Items of one hour may overlap in time (shards run in parallel; a retried batch lists events again under
 * another key), so a query's order (by each item's newest arrival) is not the events' order. The reader
 * merges: once it has read every item whose newest arrival is after time T, it knows every event after T,
 * and emits those in order (by arrival, then id), each id once.
 *
 * The cursor of an emitted event says where to continue: its hour, the greatest sort key of an item read
 * so far that still holds events after it (a scan re-reads from there: items above it are done), and the
 * event's own position (arrival, id), after which the next scan starts.
 *
 * Empty hours cost a query each: the reader looks ahead at the next hours in parallel, a window that
 * doubles (up to 16) while hours come back empty, so a week of mostly empty hours takes a few rounds.
 */
export class DynamoDbEventIndexReader implements EventIndexReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    private readonly options: { readonly maxLookahead?: number } = {},
  ) {}

  scan(query: IndexScan): AsyncIterable<IndexEntry> {
    return this.entries(query);
  }

  private async *entries(query: IndexScan): AsyncGenerator<IndexEntry> {
    const cursor = query.cursor === undefined ? undefined : decodeIndexCursor(query.cursor);
    if (query.until <= query.since) return;
    const newestHour = hourOf(query.until - 1);
    const oldestHour = hourOf(query.since);
    let startHour = newestHour;
    if (cursor) {
      const cursorHour = Date.parse(`${cursor.h}:00:00Z`);
      startHour = Math.min(newestHour, cursor.s === undefined ? cursorHour - HOUR_MS : cursorHour);
    }
    // Resuming inside an hour: re-read it from the cursor's sort key, after the cursor's event.
    const resume = cursor?.s !== undefined && hourKey(startHour) === cursor.h ? cursor : undefined;
    const hours: number[] = [];
    for (let h = startHour; h >= oldestHour; h -= HOUR_MS) hours.push(h);

    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const lowSk = pad13(query.since);
    const firstPages = new Map<number, Promise<QueryCommandOutput>>();
    const maxLookahead = this.options.maxLookahead ?? 16;
    let lookahead = 1;
    const prefetch = (from: number) => {
      for (let j = from; j < Math.min(from + lookahead, hours.length); j++) {
        if (firstPages.has(j)) continue;
        const hour = hours[j] as number;
        const page = this.query(
          hourKey(hour),
          lowSk,
          j === 0 ? resume?.s : undefined,
          undefined,
          FIRST_PAGE_ITEMS,
        );
        page.catch(() => undefined); // awaited when its hour is reached; a scan stopped early never does
        firstPages.set(j, page);
      }
    };

    for (let i = 0; i < hours.length; i++) {
      prefetch(i);
      const hour = hourKey(hours[i] as number);
      const resumeHere = i === 0 ? resume : undefined;
      const first = await (firstPages.get(i) as Promise<QueryCommandOutput>);
      firstPages.delete(i);
      if ((first.Items ?? []).length === 0 && !first.LastEvaluatedKey) {
        lookahead = Math.min(maxLookahead, lookahead * 2);
        continue;
      }
      lookahead = 1;
      const items = this.items(first, hour, lowSk, resumeHere?.s, nowSeconds);
      for await (const { entry, resumeSk } of mergeIndexItems(items, {
        since: query.since,
        until: query.until,
        ...(query.sourceId === undefined ? {} : { sourceId: query.sourceId }),
        ...(query.type === undefined ? {} : { type: query.type }),
        ...(resumeHere?.r === undefined || resumeHere.i === undefined
          ? {}
          : { after: { r: resumeHere.r, i: resumeHere.i } }),
      })) {
        yield {
          ...entry,
          after: encodeIndexCursor({
            h: hour,
            ...(resumeSk === undefined ? {} : { s: resumeSk }),
            r: entry.receivedAt,
            i: entry.id,
          }),
        };
      }
    }
  }

  /** The index items of one hour partition, in query order, page by page (each page twice the last). */
  private async *items(
    first: QueryCommandOutput,
    hour: string,
    lowSk: string,
    highSk: string | undefined,
    nowSeconds: number,
  ): AsyncGenerator<IndexItem> {
    let page: QueryCommandOutput | undefined = first;
    let limit = FIRST_PAGE_ITEMS;
    while (page) {
      if (page.LastEvaluatedKey) limit = Math.min(limit * 2, MAX_PAGE_ITEMS);
      const next: Promise<QueryCommandOutput> | undefined = page.LastEvaluatedKey
        ? this.query(hour, lowSk, highSk, page.LastEvaluatedKey, limit)
        : undefined;
      next?.catch(() => undefined);
      for (const item of page.Items ?? []) {
        const parsed = parseIndexItem(item, nowSeconds);
        if (parsed) yield parsed;
      }
      page = next ? await next : undefined;
    }
  }

  private query(
    partition: string,
    lowSk: string,
    highSk: string | undefined,
    startKey: Record<string, AttributeValue> | undefined,
    limit: number,
  ): Promise<QueryCommandOutput> {
    return this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression:
          highSk === undefined ? "pk = :pk AND sk >= :lo" : "pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues: {
          ":pk": { S: `idx#${partition}` },
          ":lo": { S: lowSk },
          ...(highSk === undefined ? {} : { ":hi": { S: highSk } }),
        },
        ProjectionExpression: "sk, ev, expiresAt",
        ScanIndexForward: false,
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
  }
}

const HOUR_MS = 3_600_000;
/** Items per query: few for the first page (a first page of events is quick), doubling after. */
const FIRST_PAGE_ITEMS = 8;
const MAX_PAGE_ITEMS = 256;

const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
/** `2026-12-06T21`, as `indexPartition` names the hour without its `idx#`. */
const hourKey = (ms: number) => indexPartition(ms).slice("idx#".length);
const pad13 = (ms: number) => String(Math.max(0, Math.floor(ms))).padStart(13, "0");

/** One index item: its sort key, the newest arrival it holds, and its events. */
export interface IndexItem {
  readonly sk: string;
  readonly newest: number;
  readonly entries: readonly Omit<IndexEntry, "after">[];
}

function parseIndexItem(item: Record<string, AttributeValue>, nowSeconds: number): IndexItem | undefined {
  const sk = item.sk?.S;
  if (sk === undefined) return undefined;
  if (Number(item.expiresAt?.N ?? Number.POSITIVE_INFINITY) < nowSeconds) return undefined; // TTL lags
  let rows: unknown;
  try {
    rows = JSON.parse(item.ev?.S ?? "[]");
  } catch {
    return undefined;
  }
  const entries: Omit<IndexEntry, "after">[] = [];
  for (const row of Array.isArray(rows) ? rows : []) {
    if (!Array.isArray(row)) continue;
    const [id, sourceId, type, receivedAt] = row as unknown[];
    if (typeof id === "string" && typeof sourceId === "string" && typeof type === "string")
      if (typeof receivedAt === "number") entries.push({ id, sourceId, type, receivedAt });
  }
  return { sk, newest: Number(sk.slice(0, 13)), entries };
}

/** Output order: newest arrival first, then the greater id. */
const comesBefore = (a: { receivedAt: number; id: string }, b: { receivedAt: number; id: string }) =>
  a.receivedAt > b.receivedAt || (a.receivedAt === b.receivedAt && a.id > b.id);

export interface MergeFilter {
  readonly since: number;
  readonly until: number;
  readonly sourceId?: string;
  readonly type?: string;
  /** Resume strictly after this position (arrival `r`, id `i`). */
  readonly after?: { readonly r: number; readonly i: string };
}

/**
 * Merges the items of one hour partition, read in descending sort key order, into its events newest
 * first, each id once. With each event comes `resumeSk`: the greatest sort key among the items read so
 * far that still hold events after this one (or the next item's, when none does; undefined at the end of
 * the hour): a scan resuming after this event re-reads from there.
 */
export async function* mergeIndexItems(
  items: AsyncIterable<IndexItem> | Iterable<IndexItem>,
  filter: MergeFilter,
): AsyncGenerator<{ entry: Omit<IndexEntry, "after">; resumeSk: string | undefined }> {
  type Pending = Omit<IndexEntry, "after"> & { item: number };
  let pending: Pending[] = [];
  const itemSks: string[] = [];
  const remaining: number[] = [];
  const seen = new Set<string>();
  let firstOpen = 0;
  const wanted = (e: Omit<IndexEntry, "after">) =>
    e.receivedAt >= filter.since &&
    e.receivedAt < filter.until &&
    (filter.sourceId === undefined || e.sourceId === filter.sourceId) &&
    (filter.type === undefined || e.type === filter.type) &&
    (filter.after === undefined ||
      e.receivedAt < filter.after.r ||
      (e.receivedAt === filter.after.r && e.id < filter.after.i));

  function* flush(ready: (e: Pending) => boolean, nextSk: string | undefined) {
    let taken = 0;
    while (taken < pending.length && ready(pending[taken] as Pending)) {
      const e = pending[taken] as Pending;
      taken++;
      remaining[e.item] = (remaining[e.item] ?? 1) - 1;
      // Copies of one event sort next to each other (same arrival, same id): the first one counts.
      while (
        taken < pending.length &&
        pending[taken]?.id === e.id &&
        pending[taken]?.receivedAt === e.receivedAt
      ) {
        const copy = pending[taken] as Pending;
        remaining[copy.item] = (remaining[copy.item] ?? 1) - 1;
        taken++;
      }
      while (firstOpen < remaining.length && (remaining[firstOpen] ?? 0) <= 0) firstOpen++;
      if (seen.has(e.id)) continue; // the same id accepted again later (after its TTL): listed once
      seen.add(e.id);
      const { item: _item, ...entry } = e;
      yield { entry, resumeSk: firstOpen < itemSks.length ? itemSks[firstOpen] : nextSk };
    }
    pending = pending.slice(taken);
  }

  for await (const item of items) {
    // Every event after this item's newest arrival is known now: emit those.
    yield* flush((e) => e.receivedAt > item.newest, item.sk);
    const index = itemSks.length;
    itemSks.push(item.sk);
    const fresh = item.entries.filter(wanted).map((e) => ({ ...e, item: index }));
    remaining.push(fresh.length);
    if (fresh.length > 0) {
      pending.push(...fresh);
      pending.sort((a, b) => (comesBefore(a, b) ? -1 : comesBefore(b, a) ? 1 : 0));
    }
  }
  yield* flush(() => true, undefined);
}

/** Where a scan continues: hour `h`; re-read from sort key `s` (absent: the hour is done); after (`r`, `i`). */
export interface IndexCursor {
  readonly h: string;
  readonly s?: string;
  readonly r?: number;
  readonly i?: string;
}

export function encodeIndexCursor(cursor: IndexCursor): string {
  return encodeCursor({ v: 1, ...cursor });
}

const badCursor = () =>
  new InvalidRequestError(
    "cursor: not a cursor this API issued; start again without one, from the first page.",
  );

export function decodeIndexCursor(text: string): IndexCursor {
  const value = decodeCursor(text, 2000);
  if (!value) throw badCursor();
  const { v, h, s, r, i } = value;
  const ok =
    v === 1 &&
    typeof h === "string" &&
    /^\d{4}-\d\d-\d\dT\d\d$/.test(h) &&
    !Number.isNaN(Date.parse(`${h}:00:00Z`)) &&
    (s === undefined || (typeof s === "string" && /^\d{13}#/.test(s))) &&
    (r === undefined || (typeof r === "number" && Number.isFinite(r))) &&
    (i === undefined || typeof i === "string") &&
    (r === undefined) === (i === undefined);
  if (!ok) throw badCursor();
  return {
    h: h as string,
    ...(s === undefined ? {} : { s: s as string }),
    ...(r === undefined ? {} : { r: r as number, i: i as string }),
  };
}
