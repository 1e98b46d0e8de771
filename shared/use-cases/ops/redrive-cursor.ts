import { InvalidRequestError } from "../../domain/errors.js";
import { decodeCursor, encodeCursor } from "../../domain/opaque-cursor.js";
import type { TimeWindow } from "../../domain/stream-failure.js";
import type { RedriveCounts } from "./contract.js";

/**
 * Where a redrive stands between two calls: the cursor each answer carries (base64url JSON). A redrive
 * is bounded per call (the ops function has 30 s); the cursor holds its windows, each scan segment's
 * position, the events whose copies must be sent again, and what was counted so far — so the last answer
 * reports the whole run. It holds nothing secret: a caller who edits it only misleads its own counts.
 */
export interface RedriveState {
  readonly v: 1;
  readonly dryRun: boolean;
  /** Epoch ms: messages sent to the queue after this are never deleted by this run. */
  readonly startedAt: number;
  readonly from: "stream-failures" | "operator";
  readonly windows: readonly TimeWindow[];
  /** Per scan segment: null (not begun), the key to continue after, or true (done). */
  readonly segments: readonly (string | null | true)[];
  /** Events found earlier whose copies could not all be queued: sent again first. */
  readonly retry: readonly string[];
  /** Batch messages whose windows this run covers, and set-aside records, when it began. */
  readonly covered: number;
  readonly setAside: number;
  readonly tally: Tally;
}

/** The report's counts as the cursor carries them (unroutable events in the scan's own terms). */
export interface Tally extends RedriveCounts {
  /** The first unroutable events (id, received at, why); `unroutableCount` counts them all. */
  readonly unroutable: readonly { readonly id: string; readonly at?: number; readonly reason: string }[];
}

export const EMPTY_TALLY: Tally = {
  scannedItems: 0,
  readUnits: 0,
  inWindows: 0,
  indexed: 0,
  routed: 0,
  perSubscription: {},
  unmatched: 0,
  firstIds: [],
  unroutable: [],
  unroutableCount: 0,
};

const MAX_CURSOR_CHARS = 65_536;

export function encodeRedriveCursor(state: RedriveState): string {
  return encodeCursor(state);
}

const badCursor = () =>
  new InvalidRequestError(
    "cursor: not a cursor a redrive answered; pass the last answer's cursor as it is, or start again without one.",
  );

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");

function isTally(value: unknown): value is Tally {
  if (typeof value !== "object" || value === null) return false;
  const t = value as Record<string, unknown>;
  const per = t.perSubscription;
  return (
    ["scannedItems", "readUnits", "inWindows", "indexed", "routed", "unmatched", "unroutableCount"].every(
      (k) => isCount(t[k]),
    ) &&
    typeof per === "object" &&
    per !== null &&
    Object.values(per).every(isCount) &&
    isStrings(t.firstIds) &&
    Array.isArray(t.unroutable) &&
    t.unroutable.every((u: unknown) => {
      if (typeof u !== "object" || u === null) return false;
      const { id, at, reason } = u as Record<string, unknown>;
      return typeof id === "string" && typeof reason === "string" && (at === undefined || isTime(at));
    })
  );
}

/** The state a cursor carries; anything else is `invalid_request` naming `cursor`. */
export function decodeRedriveCursor(text: string): RedriveState {
  const s = decodeCursor(text, MAX_CURSOR_CHARS);
  if (!s) throw badCursor();
  const ok =
    s.v === 1 &&
    typeof s.dryRun === "boolean" &&
    isTime(s.startedAt) &&
    (s.from === "stream-failures" || s.from === "operator") &&
    Array.isArray(s.windows) &&
    s.windows.length > 0 &&
    s.windows.every((w: unknown) => {
      if (typeof w !== "object" || w === null) return false;
      const { since, until } = w as Record<string, unknown>;
      return isTime(since) && isTime(until) && since < until;
    }) &&
    Array.isArray(s.segments) &&
    s.segments.length > 0 &&
    s.segments.length <= 64 &&
    s.segments.every((p: unknown) => p === null || p === true || typeof p === "string") &&
    isStrings(s.retry) &&
    isCount(s.covered) &&
    isCount(s.setAside) &&
    isTally(s.tally);
  if (!ok) throw badCursor();
  return s as unknown as RedriveState;
}
