import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import chromium from "@sparticuz/chromium";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalPlatform } from "../../local/runtime.js";
import { setAsideBody } from "../../shared/domain/stream-failure.js";
import type { Topology } from "../../shared/topology/topology.js";
import type { EventDetail, StreamFailureList } from "../../shared/use-cases/ops/contract.js";
import { sqsClient } from "../support/aws.js";
import { eventually, type HttpSink, startHttpSink } from "../support/http-sink.js";
import { postTestWebhook, startTestPlatform } from "../support/test-platform.js";

/**
 * The ops console in a real browser: headless Chromium (the binary the npm package @sparticuz/chromium
 * ships, unpacked to /tmp on first use) driven by playwright-core, against the local platform with the
 * ops function's production bundle serving the console and its API. One HTTP subscription fails with a
 * 500 and has no retries, so its event dead-letters; the operator finds the event, sees its attempts,
 * estimates a replay of the dead letter (dry run), confirms it once the receiver is fixed, follows the
 * replay to done and sees the event delivered. The router fails every invocation holding an event of
 * type `order.lost` (as in stream-failures.test.ts: its first AWS call fails, the mapping retries once and
 * gives up), so such an event lands on the stream failures queue as a batch; the operator redrives it from
 * the console. Each page is saved under test-results/console/.
 */
const SHOTS = join(process.cwd(), "test-results", "console");
const WAIT = 30_000;
const source = {
  id: "shop",
  provider: "standard-webhooks" as const,
  secrets: ["whsec_IrTRo2CUdww4GH7TQ+TSHb8myAWG2+NE"],
};
const TARGET_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const LOST_TYPE = "order.lost";

/** The router's stream mapping gives up after one retry (the topology says 100; only the wait changes). */
const oneRetry = (topology: Topology): Topology => ({
  ...topology,
  functions: topology.functions.map((fn) =>
    fn.key === "router"
      ? { ...fn, streamTriggers: fn.streamTriggers.map((t) => ({ ...t, maximumRetryAttempts: 1 })) }
      : fn,
  ),
});

/** Whether a router invocation holds an event of the type whose routing always fails. */
const holdsLost = (event: unknown) =>
  (event as DynamoDBStreamEvent).Records.some((r) => r.dynamodb?.NewImage?.typ?.S === LOST_TYPE);

let sink: HttpSink;
let platform: LocalPlatform;
let browser: Browser;
let page: Page;
/** The flaky receiver answers 500 until the operator fixes it. */
let fixed = false;
let failedId: string;
const okIds: string[] = [];
const pageErrors: string[] = [];

const post = (type: string) => postTestWebhook(platform, source, { type });

/** The ops API as the test's own eyes (not through the console), to know when the platform got there. */
async function eventDetail(id: string): Promise<EventDetail | undefined> {
  const response = await fetch(`${platform.opsUrl}events/${id}`, {
    headers: { authorization: `Bearer ${platform.opsToken}` },
  });
  return response.ok ? ((await response.json()) as EventDetail) : undefined;
}
const statusOf = async (id: string, subscription: string) =>
  (await eventDetail(id))?.subscriptions.find((s) => s.subscription === subscription)?.status;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Every control and link on the page has an accessible name and every table a caption and header cells,
 * as Chromium's accessibility tree exposes them (Playwright's ARIA snapshot: an unnamed control shows
 * as `- textbox` instead of `- textbox "Type"`); controls the tree gives no role (date inputs) must have
 * a label element or an aria-label.
 */
async function accessibilityProblems(): Promise<string[]> {
  const problems: string[] = [];
  const tree = await page.locator("body").ariaSnapshot();
  const roles =
    /^\s*- (textbox|searchbox|combobox|listbox|button|checkbox|radio|spinbutton|slider|link|table)\b(.*)$/;
  for (const line of tree.split("\n")) {
    const match = roles.exec(line);
    if (match && !/^\s*"/.test(match[2] ?? "")) problems.push(`unnamed ${match[1]}: ${line.trim()}`);
  }
  for (const control of await page.locator("input, select, textarea").all()) {
    if (!(await control.isVisible())) continue;
    const id = await control.getAttribute("id");
    const labelled =
      (await control.getAttribute("aria-label")) !== null ||
      (id !== null && (await page.locator(`label[for="${id}"]`).count()) === 1);
    if (!labelled) problems.push(`no label: input ${await control.getAttribute("name")}`);
  }
  for (const table of await page.locator("table").all()) {
    if ((await table.locator("caption").count()) !== 1) problems.push("a table without a caption");
    if ((await table.locator("thead th").count()) === 0) problems.push("a table without header cells");
  }
  return problems;
}

const TOKEN_KEY = "webhooks-ops-token";

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  sink = await startHttpSink((path) => (path === "/flaky" && !fixed ? { status: 500 } : { status: 200 }));
  const target = (path: string) => ({ type: "http", url: `${sink.url}${path}`, secret: TARGET_SECRET });
  platform = await startTestPlatform(
    "console",
    {
      sources: [source],
      subscriptions: [
        {
          id: "orders",
          sources: [source.id],
          eventTypes: ["order.*", "invoice.*"],
          target: target("/orders"),
        },
        {
          id: "flaky",
          sources: [source.id],
          eventTypes: ["invoice.*"],
          target: target("/flaky"),
          retry: { scheduleSeconds: [] },
        },
      ],
    },
    {},
    {
      alterTopology: oneRetry,
      faultFor: (fn, event) => (fn === "router" && holdsLost(event) ? { kind: "fail", step: 1 } : undefined),
    },
  );
  okIds.push(await post("order.created"), await post("order.paid"));
  failedId = await post("invoice.paid");
  // Delivered to orders; dead-lettered for flaky after its one attempt (a 500, no retries).
  await eventually(
    async () => ((await statusOf(failedId, "flaky")) === "dead-lettered" ? true : undefined),
    WAIT,
  );
  await eventually(
    async () =>
      (await Promise.all([...okIds, failedId].map((id) => statusOf(id, "orders")))).every(
        (s) => s === "delivered",
      )
        ? true
        : undefined,
    WAIT,
  );

  const executablePath = await chromium.executablePath();
  browser = await playwright.launch({ executablePath, args: [...chromium.args], headless: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(WAIT);
  page.on("pageerror", (error) => pageErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await sink?.close();
});

describe("the ops console in a browser", { timeout: 120_000 }, () => {
  it("opens from the printed link: keeps the token in the tab, takes it out of the address bar, lists events newest first", async () => {
    expect(platform.consoleUrl).toContain("#token=");
    await page.goto(platform.consoleUrl);
    await page.locator("#events-table").waitFor();
    expect(page.url()).toBe(`${platform.baseUrl}/ops/#/events`);
    expect(await page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`)).toBe(
      platform.opsToken,
    );
    const ids = await page.locator("#events-table tbody tr a.mono").allTextContents();
    // Newest first: sent one after the other, the invoice last.
    expect(ids).toEqual([failedId, okIds[1], okIds[0]]);
    const badges = await page.locator("#events-table tbody tr").first().locator(".badge").allTextContents();
    expect(badges.sort()).toEqual(["flaky: dead-lettered", "orders: delivered"]);
    expect(await accessibilityProblems()).toEqual([]);
    await shot("events");
  });

  it("is usable by keyboard: the skip link, then the sections, with a visible focus; Enter submits the filters", async () => {
    await page.reload();
    await page.locator("#events-table").waitFor();
    await page.keyboard.press("Tab");
    const focused = page.locator(":focus");
    expect(await focused.textContent()).toBe("Skip to content");
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press("Tab");
      order.push((await focused.textContent()) ?? "");
    }
    expect(order).toEqual(["Events", "Dead letters", "Subscriptions"]);
    // The focus is visible (the :focus-visible outline).
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");

    await page.getByLabel("Type", { exact: true }).fill("invoice.paid");
    await page.getByLabel("Type", { exact: true }).press("Enter");
    await page.waitForURL(/#\/events\?type=invoice\.paid$/);
    const filtered = page.getByRole("table", { name: /^Events matching the filters/ });
    await filtered.waitFor();
    expect(await filtered.locator("tbody tr").count()).toBe(1);
    expect(await filtered.locator("tbody tr a.mono").textContent()).toBe(failedId);
  });

  it("finds the event by id and shows its attempts per subscription", async () => {
    await page.getByLabel("Event id", { exact: true }).fill(failedId);
    await page.getByLabel("Event id", { exact: true }).press("Enter");
    await page.getByRole("heading", { name: `Event ${failedId}` }).waitFor();
    const attempts = page.getByRole("table", { name: "Attempts to flaky, oldest first" });
    await attempts.waitFor();
    const cells = await attempts.locator("tbody tr").first().locator("td").allTextContents();
    expect(cells[0]).toBe("1");
    expect(cells[2]).toBe("dead-lettered");
    expect(cells[3]).toBe("500");
    expect(await page.locator("#sub-flaky .badge").textContent()).toBe("dead-lettered");
    expect(await page.locator("#sub-orders .badge").textContent()).toBe("delivered");
    expect(await page.locator("pre.payload").textContent()).toContain('"type": "invoice.paid"');
    for (const name of [
      "Resend to all subscriptions",
      "Resend to flaky",
      "Resend to orders",
      "Erase payload…",
    ]) {
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(1);
    }
    expect(await accessibilityProblems()).toEqual([]);
    await shot("event");
  });

  it("replays the dead letter: the reasons, a dry-run estimate before the confirm button, progress to done, then delivered", async () => {
    await page.getByRole("link", { name: "Dead letters of flaky" }).click();
    await page.getByRole("heading", { name: "Dead letters of flaky" }).waitFor();
    const reasons = page.getByRole("table", { name: /Dead letters of flaky by reason/ });
    await reasons.waitFor();
    expect(await reasons.locator("tbody tr td").allTextContents()).toEqual([
      "retries_exhausted",
      "1",
      "Use this reason",
    ]);
    const listed = page.getByRole("table", { name: "Events dead-lettered for flaky, newest first" });
    await listed.waitFor();
    expect(await listed.locator("tbody a.mono").allTextContents()).toEqual([failedId]);

    // No confirm before an estimate.
    expect(await page.getByRole("button", { name: /^Replay \d/ }).count()).toBe(0);
    fixed = true;
    await page.getByRole("button", { name: "Estimate (dry run)" }).click();
    const estimate = page.locator(".estimate-text");
    await estimate.waitFor();
    expect(await estimate.textContent()).toBe("Dry run: 1 dead letter would be sent again (flaky: 1).");
    const confirm = page.getByRole("button", { name: "Replay 1 dead letter" });
    expect(await confirm.count()).toBe(1);
    expect(await accessibilityProblems()).toEqual([]);
    await shot("dead-letters");

    await confirm.click();
    const progress = page.locator('.progress[data-state="done"]');
    await progress.waitFor();
    expect(await progress.locator(".progress-text").textContent()).toMatch(/^done — 1 of 1 message sent/);
    // The page says its counts are from before the replay; a refresh shows the DLQ empty (below).
    await page.getByText(/were read before the replay: refresh/).waitFor();
    await shot("replay");
    await page.getByRole("button", { name: "Refresh the dead letters" }).click();
    await page.getByText("0 messages in the DLQ", { exact: false }).waitFor();

    // Delivered: the fixed receiver got the event again under its own webhook-id, and the console says so.
    await eventually(
      async () => ((await statusOf(failedId, "flaky")) === "delivered" ? true : undefined),
      WAIT,
    );
    const posts = sink.receivedOn("/flaky").filter((r) => r.headers["webhook-id"] === failedId);
    expect(posts.map((r) => r.status)).toEqual([500, 200]);
    await page.goto(`${platform.baseUrl}/ops/#/events/${failedId}`);
    await page.getByRole("table", { name: "Attempts to flaky, oldest first" }).waitFor();
    expect(await page.locator("#sub-flaky .badge").textContent()).toBe("delivered");
    // The replay's round counts from 1 again; the console says which row started it.
    const attempts = page.getByRole("table", { name: "Attempts to flaky, oldest first" });
    expect(await attempts.locator("tbody tr td:first-child").allTextContents()).toEqual(["1", "1 again"]);
    await shot("event-delivered");
  });

  it("redrives what the router never fanned out: the batch listed, a dry-run estimate before the confirm button, the report, the queue empty", async () => {
    const lostId = await post(LOST_TYPE);
    await eventually(
      async () => {
        const response = await fetch(`${platform.opsUrl}stream-failures`, {
          headers: { authorization: `Bearer ${platform.opsToken}` },
        });
        const list = (await response.json()) as StreamFailureList;
        return list.messages.some((m) => m.kind === "batch") ? true : undefined;
      },
      WAIT,
      () => "(no on-failure record on the stream failures queue)",
    );
    await page.getByRole("link", { name: "Stream failures" }).click();
    await page.getByRole("heading", { name: "Stream failures", level: 1 }).waitFor();
    const messages = page.getByRole("table", { name: "Messages of the stream failures queue" });
    await messages.waitFor();
    expect(await messages.locator("tbody th").allTextContents()).toEqual(["batch"]);
    expect(await messages.locator("tbody td").last().textContent()).toMatch(/^\d{4}-\d\d-\d\d /);
    expect(await messages.locator("tbody tr").textContent()).toContain("RetryAttemptsExhausted (1 record)");

    // No confirm before an estimate; the estimate routes nothing.
    expect(await page.getByRole("button", { name: /^Redrive \d/ }).count()).toBe(0);
    await page.getByRole("button", { name: "Estimate redrive (dry run)" }).click();
    const estimate = page.locator(".estimate-text");
    await estimate.waitFor();
    expect(await estimate.textContent()).toBe("Dry run: 1 event would be routed (orders: 1).");
    expect(await page.locator(".estimate a.mono").allTextContents()).toEqual([lostId]);
    const confirm = page.getByRole("button", { name: "Redrive 1 event" });
    expect(await confirm.count()).toBe(1);
    expect(await statusOf(lostId, "orders")).not.toBe("delivered");
    expect(await accessibilityProblems()).toEqual([]);
    await shot("stream-failures");

    await confirm.click();
    await page.getByText("Redrive done: 1 event routed (orders: 1).", { exact: true }).waitFor();
    expect(await page.locator("#status").textContent()).toBe(
      "Redrive done: 1 event routed, 1 batch message deleted.",
    );
    // The list is read again: the queue is empty.
    await page
      .getByText("The stream failures queue is empty: the router has fanned out every stored event.")
      .waitFor();
    await eventually(
      async () => ((await statusOf(lostId, "orders")) === "delivered" ? true : undefined),
      WAIT,
    );
    expect(await accessibilityProblems()).toEqual([]);
    await shot("stream-failures-redriven");
  });

  it("discards a selected set-aside record: the row with its event and why, a dry run, then the report", async () => {
    const setAsideId = "evt_SetAsideConsole0000000";
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: platform.streamFailuresUrl,
        MessageBody: setAsideBody({
          sequenceNumber: "900",
          eventId: setAsideId,
          reason: "the stream record has no new image",
        }),
      }),
    );
    await page.reload();
    const messages = page.getByRole("table", { name: "Messages of the stream failures queue" });
    await messages.waitFor();
    expect(await messages.locator("tbody th").allTextContents()).toEqual(["set-aside"]);
    expect(await messages.getByRole("link", { name: setAsideId }).getAttribute("href")).toBe(
      `#/events/${setAsideId}`,
    );
    expect(await messages.locator("tbody tr").textContent()).toContain("the stream record has no new image");

    await page.getByRole("checkbox", { name: `Select ${setAsideId}` }).check();
    await page.getByLabel(/^Only the selected records \(1 selected/).check();
    expect(await page.getByRole("button", { name: /^Discard \d/ }).count()).toBe(0);
    await page.getByRole("button", { name: "Estimate discard (dry run)" }).click();
    await page.getByText("Dry run: 1 set-aside record would be discarded.", { exact: true }).waitFor();
    expect(await accessibilityProblems()).toEqual([]);
    await shot("stream-failures-discard");
    await page.getByRole("button", { name: "Discard 1 set-aside record" }).click();
    await page.getByText("Discarded: 1 set-aside record deleted from the queue.", { exact: true }).waitFor();
    expect(await page.locator("#status").textContent()).toBe("Discarded 1 set-aside record.");
    await page
      .getByText("The stream failures queue is empty: the router has fanned out every stored event.")
      .waitFor();
  });

  it("shows each subscription's health and pauses and resumes one", async () => {
    await page.getByRole("link", { name: "Subscriptions" }).click();
    const health = page.getByRole("table", { name: /Subscription health/ });
    await health.waitFor();
    expect(await health.locator("tbody th").allTextContents()).toEqual([
      expect.stringMatching(/^orders/),
      expect.stringMatching(/^flaky/),
    ]);
    expect(await accessibilityProblems()).toEqual([]);
    await shot("subscriptions");

    await page.getByRole("button", { name: "Pause flaky" }).click();
    await page.getByRole("button", { name: "Resume flaky" }).waitFor();
    expect(await page.locator("#status").textContent()).toBe(
      "flaky is paused: deliveries wait in its queue.",
    );
    await page.getByRole("button", { name: "Resume flaky" }).click();
    await page.getByRole("button", { name: "Pause flaky" }).waitFor();
    expect(await page.locator("#status").textContent()).toBe("flaky is active.");
  });

  it("asks for a token when the API refuses the one it has (401), and takes a pasted one", async () => {
    await page.evaluate(`sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)}, "not-the-token")`);
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("refused the token");
    expect(await accessibilityProblems()).toEqual([]);
    await shot("sign-in");
    await page.getByLabel("Operator token", { exact: true }).fill(platform.opsToken);
    await page.getByLabel("Operator token", { exact: true }).press("Enter");
    await page.getByRole("table", { name: /Subscription health/ }).waitFor();
    expect(page.url()).toBe(`${platform.baseUrl}/ops/#/subscriptions`);
    expect(pageErrors).toEqual([]);
  });
});
