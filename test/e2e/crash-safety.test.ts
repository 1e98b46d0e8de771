import { randomUUID } from "node:crypto";
import { type AttributeValue, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import type {
  APIGatewayProxyEventV2,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  SQSEvent,
} from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationReport } from "../../local/function-host.js";
import type { Fault, Step } from "../../local/iam-guard.js";
import type { LocalPlatform } from "../../local/runtime.js";
import { type SignedRequest, signedTestWebhook } from "../../local/test-webhook.js";
import { DELIVERY_ATTRIBUTES } from "../../shared/adapters/sqs-delivery-queue.js";
import { queueDepth } from "../../shared/adapters/sqs-message-queue.js";
import { eventIdFor, parseCloudEvent } from "../../shared/domain/cloud-event.js";
import { dedupeKeyFor } from "../../shared/domain/dedupe-key.js";
import type { FunctionKey as AnyFunctionKey, Topology } from "../../shared/topology/topology.js";
import { dynamoDbClient, sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { SW_SOURCE, startTestPlatform } from "../support/test-platform.js";

/**
 * Crash safety, shown. Each function's sandbox is stopped just before and just after every step of an
 * invocation (each AWS call and each outbound request), and every step is failed once, each on a fresh
 * webhook; then the platform's own retries run (the provider's retry on a 5xx, the stream mapping's
 * retry, SQS handing a message out again after its visibility timeout, the delivery schedule) and the
 * suite counts what became of every webhook: acknowledged events lost, events entering the pipeline
 * twice, second successful POSTs.
 *
 * The steps are not written down here: a webhook with no fault shows each function's steps, and the plan
 * is made from them. Each function is tested on a platform of its own, one case after the other (a crash
 * ends every invocation its sandbox runs, and a batch of several webhooks takes other steps, so a case
 * must be alone in the function it targets); the three platforms run side by side. Batching windows are 0
 * and the visibility timeout of the subscription queues is 3 s: both only shorten waits.
 */

const OUTBOUND_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const source = SW_SOURCE;
const VISIBILITY_TIMEOUT_SECONDS = 3;
/**
 * How long the receiver takes to answer on the router's platform. A real receiver takes time; one that
 * answers at once has its success recorded before the stream's retry can make a second copy of the event,
 * which would hide the race between the two copies.
 */
const SLOW_RECEIVER_MS = 1_500;
const KINDS = ["crash-before", "crash-after", "fail"] as const;
type Kind = (typeof KINDS)[number];
/** The pipeline's functions (the ops function is no step of a webhook's way). */
type FunctionKey = Exclude<AnyFunctionKey, "ops">;
const FUNCTIONS: readonly FunctionKey[] = ["ingest", "router", "deliver"];
const SETTLE_TIMEOUT_MS = 40_000;

const sqs = sqsClient();
const dynamodb = dynamoDbClient();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isSuccess = (status: number) => status >= 200 && status < 300;

/** The event id ingest gives a Standard Webhooks delivery id (its dedupe key is the signed `webhook-id`). */
const eventIdOf = (deliveryId: string) =>
  eventIdFor(source.id, `${source.id}#${dedupeKeyFor({ kind: "delivery-id", deliveryId })}`);

/** Which webhooks an invocation handles: by delivery id (ingest), stream key (router), message (deliver). */
function eventIdsIn(fn: FunctionKey, event: unknown): string[] {
  switch (fn) {
    case "ingest": {
      const headers = (event as APIGatewayProxyEventV2).headers ?? {};
      const deliveryId = Object.entries(headers).find(([name]) => name.toLowerCase() === "webhook-id")?.[1];
      return deliveryId ? [eventIdOf(deliveryId)] : [];
    }
    case "router":
      return (event as DynamoDBStreamEvent).Records.flatMap((r) => r.dynamodb?.Keys?.pk?.S ?? []);
    case "deliver":
      return (event as SQSEvent).Records.map((r) => parseCloudEvent(r.body).id);
  }
}

interface FaultCase {
  readonly fn: FunctionKey;
  readonly step: number;
  /** What the step was when the suite learnt the steps ("DynamoDB.PutItem", "http request"…). */
  readonly what: string;
  readonly kind: Kind;
}

interface Invocation {
  readonly fn: FunctionKey;
  readonly eventIds: readonly string[];
  readonly fault?: Fault;
  report?: InvocationReport;
}

/** What the provider saw: every answer until a 2xx (or a 4xx, or giving up). */
interface Sent {
  readonly answers: readonly (number | "network error")[];
  readonly acknowledged: boolean;
  readonly id?: string;
}

/** Where a second successful POST may come from (see the summary test). */
type Window = "ledger" | "copies" | undefined;

interface CaseOutcome {
  readonly label: string;
  readonly fault?: FaultCase;
  readonly eventId: string;
  readonly sent: Sent;
  readonly settled: boolean;
  /** The planned fault's invocation: how it ended and the step the fault hit. */
  readonly hit?: { readonly outcome: InvocationReport["outcome"]; readonly what: string | undefined };
  /** Invocations of each function that handled this webhook. */
  readonly invocations: Readonly<Record<FunctionKey, number>>;
  /** Event table items of this provider event, and the distinct stream records the router was given. */
  readonly items: number;
  readonly streamRecords: number;
  readonly posts: number;
  readonly successfulPosts: number;
  /** Copies of the event the router put on the HTTP subscription's queue (distinct messages it sent). */
  readonly hookCopies: number;
  /** Copies the queue subscription's consumer received. */
  readonly queueCopies: number;
  readonly window: Window;
}

async function sendAsProvider(url: string, request: SignedRequest): Promise<Sent> {
  const answers: (number | "network error")[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const response = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
      const text = await response.text();
      answers.push(response.status);
      if (isSuccess(response.status)) {
        return { answers, acknowledged: true, id: (JSON.parse(text) as { id: string }).id };
      }
      if (response.status < 500) return { answers, acknowledged: false };
    } catch {
      answers.push("network error");
    }
    await sleep(Math.min(1_000, 50 * 2 ** attempt));
  }
  return { answers, acknowledged: false };
}

/** Messages in a queue: visible, in flight and delayed. */
const depth = async (queueUrl: string) => (await queueDepth(sqs, queueUrl)).total;

const shortVisibility = (topology: Topology): Topology => ({
  ...topology,
  queues: topology.queues.map((q) => ({ ...q, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS })),
});

/**
 * One platform with an HTTP subscription (`hook`, a real receiver) and a queue subscription (`tap`, read
 * by the suite), and the record of every invocation its functions made.
 */
class Campaign {
  platform!: LocalPlatform;
  sink!: HttpSink;
  learnt?: Readonly<Record<FunctionKey, readonly Step[]>>;
  readonly outcomes: CaseOutcome[] = [];
  readonly anomalies: string[] = [];
  private readonly invocations = new Map<string, Invocation>();
  /** Planned faults by event id; `invocationId` once an invocation took it. */
  private readonly plans = new Map<string, { fault: FaultCase; invocationId?: string }>();
  private readonly queueCopies = new Map<string, number>();
  private readonly streamRecords = new Map<string, Set<string>>();
  private readonly hookCopies = new Map<string, Set<string>>();
  private readonly sent: {
    eventId: string;
    deliveryId: string;
    sent: Sent;
    settled: boolean;
    fault?: FaultCase;
  }[] = [];
  private draining = true;
  private drain?: Promise<void>;

  constructor(
    readonly fn: FunctionKey,
    private readonly receiverDelayMs = 0,
  ) {}

  async start(): Promise<void> {
    this.sink = await startHttpSink(() => ({ status: 200, delayMs: this.receiverDelayMs }));
    this.platform = await startTestPlatform(
      `crash-${this.fn}`,
      {
        sources: [source],
        subscriptions: [
          {
            id: "hook",
            target: { type: "http", url: `${this.sink.url}/hook`, secret: OUTBOUND_SECRET },
            retry: { scheduleSeconds: [1, 1, 1, 1, 1] },
          },
          { id: "tap", target: { type: "queue" } },
        ],
      },
      {},
      {
        alterTopology: shortVisibility,
        faultFor: (fn, event, invocationId) =>
          fn === "ops" ? undefined : this.faultFor(fn, event, invocationId),
        onInvocation: (_fn, report) => {
          const invocation = this.invocations.get(report.invocationId);
          if (invocation) invocation.report = report;
          else
            this.anomalies.push(`a report for an invocation the suite never saw start: ${report.function}`);
        },
      },
    );
    this.drain = this.consumeQueueSubscription();
  }

  async stop(): Promise<void> {
    this.draining = false;
    await this.drain;
    await this.platform?.stop();
    await this.sink?.close();
  }

  /** Every invocation of every function passes here first: it is recorded, and may get its fault. */
  private faultFor(fn: FunctionKey, event: unknown, invocationId: string): Fault | undefined {
    const eventIds = eventIdsIn(fn, event);
    if (fn === "router") {
      for (const record of (event as DynamoDBStreamEvent).Records) {
        const id = record.dynamodb?.Keys?.pk?.S ?? "";
        this.streamRecords.set(
          id,
          (this.streamRecords.get(id) ?? new Set()).add(record.dynamodb?.SequenceNumber ?? ""),
        );
      }
    }
    if (fn === "deliver") {
      for (const record of (event as SQSEvent).Records) {
        // The router's copies carry no delivery attributes; retries and parked messages do.
        if (Object.values(DELIVERY_ATTRIBUTES).some((name) => record.messageAttributes[name])) continue;
        const id = parseCloudEvent(record.body).id;
        this.hookCopies.set(id, (this.hookCopies.get(id) ?? new Set()).add(record.messageId));
      }
    }
    const plan = eventIds
      .map((id) => this.plans.get(id))
      .find((p) => p !== undefined && p.fault.fn === fn && p.invocationId === undefined);
    if (plan && eventIds.length > 1) {
      this.anomalies.push(`a ${fn} invocation with a planned fault handled ${eventIds.length} webhooks`);
    }
    if (plan) plan.invocationId = invocationId;
    const fault = plan ? { kind: plan.fault.kind, step: plan.fault.step } : undefined;
    this.invocations.set(invocationId, { fn, eventIds, ...(fault ? { fault } : {}) });
    return fault;
  }

  /** The queue subscription's consumer: reads and deletes everything, counting copies per event. */
  private async consumeQueueSubscription(): Promise<void> {
    const url = this.platform.queues.tap?.url ?? "";
    while (this.draining) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) continue;
      for (const m of messages) {
        const id = parseCloudEvent(m.Body ?? "").id;
        this.queueCopies.set(id, (this.queueCopies.get(id) ?? 0) + 1);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })),
        }),
      );
    }
  }

  private invocationsOf(eventId: string): Invocation[] {
    return [...this.invocations.values()].filter((i) => i.eventIds.includes(eventId));
  }

  private postsOf(eventId: string) {
    return this.sink.received.filter((r) => r.method === "POST" && r.headers["webhook-id"] === eventId);
  }

  /** Whether a router invocation handed the event's copies over and reported none of them failed. */
  private routed(eventId: string): boolean {
    const sequenceNumbers = this.streamRecords.get(eventId) ?? new Set();
    return this.invocationsOf(eventId).some((i) => {
      if (i.fn !== "router" || i.report?.outcome !== "result") return false;
      const failures = (i.report.result as DynamoDBBatchResponse | undefined)?.batchItemFailures ?? [];
      return !failures.some((f) => sequenceNumbers.has(f.itemIdentifier));
    });
  }

  private async idle(): Promise<boolean> {
    return (
      [...this.invocations.values()].every((i) => i.report !== undefined) &&
      (await depth(this.platform.queues.hook?.url ?? "")) === 0
    );
  }

  /**
   * A webhook's fate has settled when nothing more can happen to it: it was POSTed with success and
   * reached the queue subscription, a router invocation handed it over without reporting it failed (so
   * no stream retry is pending), no function is running, and the HTTP subscription's queue holds no message,
   * visible, in flight or delayed.
   */
  private async settled(eventId: string, sent: Sent): Promise<boolean> {
    if (sent.acknowledged) {
      if (!this.postsOf(eventId).some((r) => isSuccess(r.status))) return false;
      if ((this.queueCopies.get(eventId) ?? 0) === 0) return false;
      if (!this.routed(eventId)) return false;
    }
    return this.idle();
  }

  /** Sends one webhook, as a provider does (again on a 5xx, until a 2xx), and waits for its fate. */
  private async runCase(fault: FaultCase | undefined): Promise<string> {
    const deliveryId = `msg_${randomUUID().replaceAll("-", "")}`;
    const eventId = eventIdOf(deliveryId);
    if (fault) this.plans.set(eventId, { fault });
    const request = signedTestWebhook(source, { deliveryId, type: "order.created", data: { deliveryId } });
    const sent = await sendAsProvider(`${this.platform.ingestUrl}${source.id}`, request);
    const settled = await eventually(
      async () => ((await this.settled(eventId, sent)) ? true : undefined),
      SETTLE_TIMEOUT_MS,
    ).catch(() => false);
    this.sent.push({ eventId, deliveryId, sent, settled, ...(fault ? { fault } : {}) });
    return eventId;
  }

  /** The steps of each function, from one webhook sent with no fault. */
  async learn(): Promise<void> {
    const eventId = await this.runCase(undefined);
    const stepsOf = (fn: FunctionKey) =>
      this.invocationsOf(eventId).find((i) => i.fn === fn && i.report?.outcome === "result")?.report?.steps ??
      [];
    this.learnt = { ingest: stepsOf("ingest"), router: stepsOf("router"), deliver: stepsOf("deliver") };
  }

  /**
   * Every step of this platform's function, each stopped before, stopped after and failed. Failing the
   * POST is a failure the receiver's circuit breaker counts, after which every success updates the
   * breaker for a minute (two more steps before the ledger write): that case runs last, so every other
   * case meets the steps the plan was made from.
   */
  async runAll(): Promise<void> {
    const cases = (this.learnt?.[this.fn] ?? []).flatMap((s) =>
      KINDS.map((kind): FaultCase => ({ fn: this.fn, step: s.step, what: s.what, kind })),
    );
    const countedByBreaker = (c: FaultCase) => c.kind === "fail" && c.what.endsWith("request");
    for (const c of [...cases.filter((c) => !countedByBreaker(c)), ...cases.filter(countedByBreaker)]) {
      await this.runCase(c);
    }
  }

  /** Once everything settled: the counts per webhook, read from the receiver, the queues and the table. */
  async account(): Promise<void> {
    await eventually(async () =>
      (await this.idle()) && (await depth(this.platform.queues.tap?.url ?? "")) === 0 ? true : undefined,
    );
    const items = await this.eventItemsByDeliveryId();
    const deliverSteps = (this.learnt?.deliver ?? []).map((s) => s.what);
    const postStep = deliverSteps.findIndex((w) => w.endsWith("request")) + 1;
    const ledgerStep = deliverSteps.indexOf("DynamoDB.BatchWriteItem") + 1;
    for (const s of this.sent) {
      const invocations = this.invocationsOf(s.eventId);
      const plannedId = s.fault ? this.plans.get(s.eventId)?.invocationId : undefined;
      const planned = plannedId === undefined ? undefined : this.invocations.get(plannedId);
      const report = planned?.report;
      const posts = this.postsOf(s.eventId);
      const hookCopies = this.hookCopies.get(s.eventId)?.size ?? 0;
      const f = s.fault;
      const window: Window =
        // The receiver answered 2xx and the sandbox stopped before the ledger write recorded it.
        f?.fn === "deliver" &&
        ((f.kind === "crash-after" && f.step >= postStep && f.step < ledgerStep) ||
          (f.kind === "crash-before" && f.step > postStep && f.step <= ledgerStep))
          ? "ledger"
          : // The router stopped after its copy was on the queue, and the stream's retry sent another.
            f?.fn === "router" && hookCopies > 1
            ? "copies"
            : undefined;
      this.outcomes.push({
        label: f ? `${f.fn} ${f.kind} step ${f.step} (${f.what})` : `no fault (${this.fn} platform)`,
        ...(f ? { fault: f } : {}),
        eventId: s.eventId,
        sent: s.sent,
        settled: s.settled,
        ...(report ? { hit: { outcome: report.outcome, what: report.steps[(f?.step ?? 0) - 1]?.what } } : {}),
        invocations: {
          ingest: invocations.filter((i) => i.fn === "ingest").length,
          router: invocations.filter((i) => i.fn === "router").length,
          deliver: invocations.filter((i) => i.fn === "deliver").length,
        },
        items: items.get(s.deliveryId) ?? 0,
        streamRecords: this.streamRecords.get(s.eventId)?.size ?? 0,
        posts: posts.length,
        successfulPosts: posts.filter((r) => isSuccess(r.status)).length,
        hookCopies,
        queueCopies: this.queueCopies.get(s.eventId) ?? 0,
        window,
      });
    }
  }

  /** How many items the event table holds per provider delivery id. */
  private async eventItemsByDeliveryId(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await dynamodb.send(
        new ScanCommand({
          TableName: this.platform.tableNames.events,
          ProjectionExpression: "did",
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const did = item.did?.S ?? "";
        counts.set(did, (counts.get(did) ?? 0) + 1);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return counts;
  }

  async deadLetters(): Promise<{ hook: number; tap: number; streamFailures: number }> {
    return {
      hook: await depth(this.platform.queues.hook?.dlqUrl ?? ""),
      tap: await depth(this.platform.queues.tap?.dlqUrl ?? ""),
      streamFailures: await depth(this.platform.streamFailuresUrl),
    };
  }
}

const campaigns: Readonly<Record<FunctionKey, Campaign>> = {
  ingest: new Campaign("ingest"),
  router: new Campaign("router", SLOW_RECEIVER_MS),
  deliver: new Campaign("deliver"),
};
const outcomes = () => FUNCTIONS.flatMap((fn) => campaigns[fn].outcomes);

beforeAll(async () => {
  await Promise.all(
    FUNCTIONS.map(async (fn) => {
      const campaign = campaigns[fn];
      await campaign.start();
      await campaign.learn();
      await campaign.runAll();
      await campaign.account();
    }),
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(FUNCTIONS.map((fn) => campaigns[fn].stop()));
});

/** One webhook's contribution to each count of the summary. */
const countsOf = (o: CaseOutcome) => {
  const second = Math.max(0, o.successfulPosts - 1);
  return {
    "acknowledged, lost": o.sent.acknowledged && (o.successfulPosts === 0 || o.queueCopies === 0) ? 1 : 0,
    "entered twice":
      o.items > 1 || o.streamRecords > 1 || (o.sent.id !== undefined && o.sent.id !== o.eventId) ? 1 : 0,
    "2nd POST: 2xx not yet recorded": o.window === "ledger" ? second : 0,
    "2nd POST: second copy routed": o.window === "copies" ? second : 0,
    "2nd POST: elsewhere": o.window === undefined ? second : 0,
  };
};
type Count = keyof ReturnType<typeof countsOf>;

describe("crash safety: every step of every function stopped before, stopped after and failed once", () => {
  it("learns each function's steps from a webhook with no fault, and they are the design's", () => {
    for (const fn of FUNCTIONS) {
      const whats = (f: FunctionKey) => (campaigns[fn].learnt?.[f] ?? []).map((s) => s.what);
      // Ingest: one AWS call, the conditional PutItem of the event item.
      expect(whats("ingest"), fn).toEqual(["DynamoDB.PutItem"]);
      // Router: one write (the batch's index item), then one SendMessageBatch per subscription queue (two).
      expect(whats("router"), fn).toEqual([
        "DynamoDB.PutItem",
        "SQS.SendMessageBatch",
        "SQS.SendMessageBatch",
      ]);
      // Deliver: reads only, one POST, then exactly one write, the batch's ledger write.
      const deliver = whats("deliver");
      const post = deliver.findIndex((w) => w.endsWith("request"));
      expect(
        deliver.filter((w) => w.endsWith("request")),
        fn,
      ).toHaveLength(1);
      expect(
        deliver.slice(0, post).every((w) => /^DynamoDB\.(BatchGet|Get)Item$/.test(w)),
        fn,
      ).toBe(true);
      expect(deliver.slice(post + 1), fn).toEqual(["DynamoDB.BatchWriteItem"]);
      // Every case of the plan ran: each step, each kind.
      expect(campaigns[fn].outcomes.filter((o) => o.fault).length, fn).toBe(whats(fn).length * KINDS.length);
    }
  });

  for (const fn of FUNCTIONS) {
    it(`${fn}: each fault hit its step; every webhook was acknowledged, entered once and delivered`, () => {
      const campaign = campaigns[fn];
      expect(campaign.anomalies).toEqual([]);
      for (const o of campaign.outcomes) {
        expect(o.settled, o.label).toBe(true);
        if (o.fault) {
          expect(o.hit, o.label).toEqual({
            outcome: o.fault.kind === "fail" ? expect.stringMatching(/^(result|error)$/) : "crashed",
            what: o.fault.what,
          });
        }
        expect(o.sent.acknowledged, o.label).toBe(true);
        expect(o.sent.id, o.label).toBe(o.eventId);
        expect(o.items, o.label).toBe(1);
        expect(o.streamRecords, o.label).toBe(1);
        expect(o.successfulPosts, o.label).toBeGreaterThanOrEqual(1);
        expect(o.queueCopies, o.label).toBeGreaterThanOrEqual(1);
        // Only a router that stopped after sending makes a second copy of an event.
        if (o.fault?.fn !== "router") expect(o.hookCopies, o.label).toBe(1);
        expect(o.successfulPosts, o.label).toBeLessThanOrEqual(o.window ? 2 : 1);
      }
    });
  }

  it("counts 0 acknowledged events lost, 0 entered twice, and second successful POSTs only in the two windows", async () => {
    const all = outcomes();
    const total = (count: Count) => all.reduce((sum, o) => sum + countsOf(o)[count], 0);
    const rows = all.map((o) => ({
      case: o.label,
      provider: o.sent.answers.join(" "),
      "invocations i/r/d": `${o.invocations.ingest}/${o.invocations.router}/${o.invocations.deliver}`,
      items: o.items,
      "2xx/POSTs": `${o.successfulPosts}/${o.posts}`,
      "copies hook/tap": `${o.hookCopies}/${o.queueCopies}`,
      ...countsOf(o),
    }));
    const summary = {
      webhooks: all.length,
      faults: all.filter((o) => o.fault).length,
      acknowledged: all.filter((o) => o.sent.acknowledged).length,
      ...Object.fromEntries(
        (Object.keys(countsOf(all[0] as CaseOutcome)) as Count[]).map((c) => [c, total(c)]),
      ),
      "extra copies hook/tap": `${all.reduce((n, o) => n + Math.max(0, o.hookCopies - 1), 0)}/${all.reduce(
        (n, o) => n + Math.max(0, o.queueCopies - 1),
        0,
      )}`,
    };
    console.log(`crash-safety cases\n${table(rows)}\n\ncrash-safety totals\n${table([summary])}`);

    const deadLetters = await Promise.all(FUNCTIONS.map((fn) => campaigns[fn].deadLetters()));
    expect(deadLetters).toEqual(FUNCTIONS.map(() => ({ hook: 0, tap: 0, streamFailures: 0 })));
    expect(summary.acknowledged).toBe(summary.webhooks);
    expect(total("acknowledged, lost")).toBe(0);
    expect(total("entered twice")).toBe(0);
    expect(total("2nd POST: elsewhere")).toBe(0);
    // The receiver answered 2xx and the sandbox stopped before the batch's ledger write: SQS hands the
    // message out again, and nothing of ours knows the POST succeeded. Every such case POSTs once more.
    const ledgerWindow = all.filter((o) => o.window === "ledger");
    expect(ledgerWindow.length).toBeGreaterThan(0);
    expect(total("2nd POST: 2xx not yet recorded")).toBe(ledgerWindow.length);
    // The router stopped after a copy was on the HTTP subscription's queue: the stream hands the record
    // over again and a second copy follows. It is POSTed again when it is read before the first copy's
    // success is recorded (here, while the slow receiver is answering the first).
    expect(total("2nd POST: second copy routed")).toBeLessThanOrEqual(
      all.filter((o) => o.window === "copies").length,
    );
  });
});

/** Rows as an aligned text table (the first row's keys as the header). */
function table(rows: readonly Record<string, unknown>[]): string {
  const keys = Object.keys(rows[0] ?? {});
  const cells = [keys, ...rows.map((r) => keys.map((k) => String(r[k])))];
  const widths = keys.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
