import type { DeadLetterMark } from "../../ports/replay-store.js";
import type { DeadLetter, DeadLetters, HeldDeadLetter } from "../../ports/subscription-queues.js";

/** What a move remembers of the dead letters it saw, so that it never handles one twice. */
export interface DeadLetterMemory {
  recall(messageIds: readonly string[]): Promise<ReadonlyMap<string, DeadLetterMark>>;
  remember(marks: readonly { readonly messageId: string; readonly mark: DeadLetterMark }[]): Promise<void>;
}

/** Memory for one run in one process (the CLI's `dlq replay`). */
export function inMemoryDeadLetterMemory(): DeadLetterMemory {
  const marks = new Map<string, DeadLetterMark>();
  return {
    recall: async (ids) =>
      new Map(ids.flatMap((id) => (marks.has(id) ? [[id, marks.get(id) as DeadLetterMark]] : []))),
    remember: async (entries) => {
      for (const { messageId, mark } of entries) marks.set(messageId, mark);
    },
  };
}

export interface MoveOptions {
  /** Distinct messages to look at, at most: the DLQ's count when the replay started. */
  readonly bound: number;
  /** How long received messages are held while they are moved (and others skipped), seconds. */
  readonly holdSeconds: number;
  /** Which dead letters to move; the others stay in the DLQ (all by default). */
  readonly matches?: (letter: DeadLetter) => boolean;
  readonly memory: DeadLetterMemory;
  /** Epoch ms at which to stop, unfinished (a replay slice's time budget). */
  readonly deadline?: number;
  /** Messages to look at in this call, at most (a replay slice's share); stops unfinished there. */
  readonly limit?: number;
  readonly now: () => number;
  /** After each batch: what has been moved so far. */
  readonly onProgress?: (moved: readonly DeadLetter[], examined: number) => Promise<void> | void;
}

export interface MoveReport {
  /** Distinct messages looked at (moved or left), counted toward the bound. */
  readonly examined: number;
  readonly moved: readonly DeadLetter[];
  /** The bound was reached, or no message is left to look at. */
  readonly finished: boolean;
  /** Letters that could not be copied back (they stay in the DLQ), with why. */
  readonly unsent: readonly { readonly letter: DeadLetter; readonly error: string }[];
  /** Letters copied back but not deleted from the DLQ (a later move deletes them without copying). */
  readonly notDeleted: number;
}

/**
 * Moves dead letters of one subscription back onto its queue as fresh deliveries (attempt 1, body byte
 * for byte so the event id and `webhook-id` stay the same). Each message is copied before it is deleted
 * from the DLQ, and never handled twice: the memory marks each message seen (moved, left, or a copy this
 * move made), so a message seen again — released, or not deleted — is skipped or just deleted. At most
 * `bound` messages are looked at, the DLQ's count at the start: a copy that fails again and comes back
 * into the DLQ (under a new id) cannot make the move go round in a loop; on a busy DLQ such a copy may
 * take the place of an older message, which waits for the next replay.
 *
 * Stops at the first copy or delete that fails (what was done is reported), at the deadline, or when a
 * receive finds nothing visible. Messages it held and did not move are made visible again at the end.
 */
export async function moveDeadLetters(
  deadLetters: DeadLetters,
  subscriptionId: string,
  options: MoveOptions,
): Promise<MoveReport> {
  const moved: DeadLetter[] = [];
  const unsent: { letter: DeadLetter; error: string }[] = [];
  const held: HeldDeadLetter[] = [];
  let examined = 0;
  let notDeleted = 0;
  let finished = false;
  try {
    for (;;) {
      if (examined >= options.bound) {
        finished = true;
        break;
      }
      if (options.deadline !== undefined && options.now() >= options.deadline) break;
      if (options.limit !== undefined && examined >= options.limit) break;
      const received = await deadLetters.receive(subscriptionId, {
        max: Math.min(10, options.bound - examined, (options.limit ?? Number.POSITIVE_INFINITY) - examined),
        holdSeconds: options.holdSeconds,
      });
      if (received.length === 0) {
        finished = true;
        break;
      }
      const marks = await options.memory.recall(received.map((l) => l.messageId));
      const fresh: HeldDeadLetter[] = [];
      const movedBefore: HeldDeadLetter[] = [];
      for (const letter of received) {
        const mark = marks.get(letter.messageId);
        if (mark === undefined) fresh.push(letter);
        else if (mark === "moved") movedBefore.push(letter);
        else held.push(letter);
      }
      // Copied by an earlier batch or slice whose delete did not happen: delete it now, never copy it again.
      if (movedBefore.length > 0) notDeleted += await deadLetters.remove(subscriptionId, movedBefore);
      examined += fresh.length;
      const take = fresh.filter((l) => options.matches?.(l) ?? true);
      const leave = fresh.filter((l) => !take.includes(l));
      held.push(...leave);
      if (leave.length > 0)
        await options.memory.remember(
          leave.map((l) => ({ messageId: l.messageId, mark: "skipped" as const })),
        );
      if (take.length > 0) {
        const copied = await deadLetters.requeue(subscriptionId, take, new Date(options.now()));
        await options.memory.remember([
          ...copied.sent.map((s) => ({ messageId: s.messageId, mark: "moved" as const })),
          ...copied.sent.map((s) => ({ messageId: s.copyId, mark: "copy" as const })),
        ]);
        const sentIds = new Set(copied.sent.map((s) => s.messageId));
        const done = take.filter((l) => sentIds.has(l.messageId));
        const failed = take.filter((l) => !sentIds.has(l.messageId));
        if (done.length > 0) notDeleted += await deadLetters.remove(subscriptionId, done);
        moved.push(...done.map(withoutReceipt));
        held.push(...failed);
        for (const letter of failed)
          unsent.push({
            letter: withoutReceipt(letter),
            error: copied.failed.find((f) => f.messageId === letter.messageId)?.error ?? "not sent",
          });
      }
      await options.onProgress?.(moved, examined);
      if (unsent.length > 0 || notDeleted > 0) break;
    }
  } finally {
    await deadLetters.release(subscriptionId, held).catch(() => held.length);
  }
  return { examined, moved, finished, unsent, notDeleted };
}

function withoutReceipt(letter: HeldDeadLetter): DeadLetter {
  const { receipt: _receipt, ...view } = letter;
  return view;
}

/** Whether a dead letter matches a replay's filter (by its CloudEvent: source, type, arrival; and its reason). */
export function deadLetterMatcher(filter: {
  readonly source?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly since?: number;
  readonly until?: number;
}): (letter: DeadLetter) => boolean {
  return (letter) => {
    if (filter.source !== undefined && letter.sourceId !== filter.source) return false;
    if (filter.type !== undefined && letter.type !== filter.type) return false;
    if (filter.reason !== undefined && letter.reason !== filter.reason) return false;
    if (filter.since !== undefined || filter.until !== undefined) {
      const at = letter.receivedAt === undefined ? Number.NaN : Date.parse(letter.receivedAt);
      if (Number.isNaN(at)) return false;
      if (filter.since !== undefined && at < filter.since) return false;
      if (filter.until !== undefined && at >= filter.until) return false;
    }
    return true;
  };
}

/** How long a DLQ replay holds a message it is moving: covers the copy and the delete. */
const REPLAY_HOLD_SECONDS = 60;

/**
 * The CLI's `dlq replay`: moves what was in one subscription's DLQ when it started (at most `max`)
 * back onto its queue, all of it (no filter), in one run. `total` is the bound it started with.
 */
export async function replayDeadLetters(
  deadLetters: DeadLetters,
  subscriptionId: string,
  options: {
    readonly max: number;
    readonly now: () => number;
    readonly onProgress?: (moved: number, total: number) => void;
  },
): Promise<{ readonly total: number; readonly report: MoveReport }> {
  const depth = await deadLetters.depth(subscriptionId);
  const total = Math.min(options.max, depth.visible + depth.inFlight);
  const report = await moveDeadLetters(deadLetters, subscriptionId, {
    bound: total,
    holdSeconds: REPLAY_HOLD_SECONDS,
    memory: inMemoryDeadLetterMemory(),
    now: options.now,
    ...(options.onProgress
      ? { onProgress: (moved: readonly DeadLetter[]) => options.onProgress?.(moved.length, total) }
      : {}),
  });
  return { total, report };
}
