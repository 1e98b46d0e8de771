import type {
  EventSummary,
  ReplayEstimate,
  ReplayFilter,
  SubscriptionHealth,
} from "../../shared/use-cases/ops/contract.js";
import { field, h, loading, select, table } from "../dom.js";
import { fromLocalInput, plural, toLocalInput } from "../format.js";
import { busy, errorBox, heading, isAbort, type ViewContext } from "../view.js";
import { EVENT_HEADERS, eventRows, PAGE_SIZE, pager } from "./events.js";
import { replayProgress } from "./replay.js";

/** The reasons a delivery dead-letters with (`webhooks.reason`). */
export const DEAD_LETTER_REASONS = [
  "retries_exhausted",
  "permanent_failure",
  "aborted_by_receiver",
  "subscription_disabled",
  "invalid_message",
] as const;

/** The events picked on this page, kept while paging through the same subscription's dead letters. */
const picked: { subscription: string; events: Map<string, string> } = { subscription: "", events: new Map() };

/** One replay per picked event: its dead letters in the millisecond it arrived. */
function pickedFilters(subscription: string): ReplayFilter[] {
  return [...picked.events].map(([, receivedAt]) => ({
    deadLettered: true,
    subscription,
    since: receivedAt,
    until: new Date(Date.parse(receivedAt) + 1).toISOString(),
  }));
}

/** Sums several estimates (a selection is estimated event by event). */
function sum(estimates: readonly ReplayEstimate[]): ReplayEstimate {
  const perSubscription: Record<string, number> = {};
  for (const e of estimates) {
    for (const [id, n] of Object.entries(e.perSubscription))
      perSubscription[id] = (perSubscription[id] ?? 0) + n;
  }
  return {
    dryRun: true,
    total: estimates.reduce((n, e) => n + e.total, 0),
    perSubscription,
    firstIds: [...new Set(estimates.flatMap((e) => e.firstIds))],
  };
}

/** Dead letters by reason: one dry run per reason, one after the other (a DLQ listing holds what it reads). */
async function reasonsTable(
  ctx: ViewContext,
  subscription: string,
  choose: (reason: string) => void,
): Promise<HTMLElement> {
  const counts: [string, number][] = [];
  const total = (await ctx.api.estimateReplay({ deadLettered: true, subscription }, ctx.signal)).total;
  let counted = 0;
  for (const reason of DEAD_LETTER_REASONS) {
    if (counted >= total) break;
    const n = (await ctx.api.estimateReplay({ deadLettered: true, subscription, reason }, ctx.signal)).total;
    counted += n;
    if (n > 0) counts.push([reason, n]);
  }
  if (total > counted)
    counts.push(["other (moved by SQS after repeated failures, or no reason)", total - counted]);
  if (total === 0)
    return h("p", { class: "empty" }, `The DLQ of ${subscription} is empty: nothing to replay.`);
  return table(
    `Dead letters of ${subscription} by reason (${plural(total, "message")})`,
    ["Reason", "Messages", "Replay"],
    counts.map(([reason, n]) =>
      h(
        "tr",
        null,
        h("td", { class: "mono" }, reason),
        h("td", { class: "num" }, String(n)),
        h(
          "td",
          null,
          DEAD_LETTER_REASONS.some((r) => r === reason) &&
            h(
              "button",
              {
                type: "button",
                "aria-label": `Use this reason: ${reason}`,
                onclick: () => choose(reason),
              },
              "Use this reason",
            ),
        ),
      ),
    ),
  );
}

function replayForm(ctx: ViewContext, subscription: string, onSelectionChange: Set<() => void>): HTMLElement {
  const reason = select("reason", DEAD_LETTER_REASONS, ctx.query.get("reason") ?? undefined, "any reason");
  const since = h("input", {
    name: "since",
    type: "datetime-local",
    step: "1",
    value: toLocalInput(ctx.query.get("since") ?? undefined),
  });
  const until = h("input", {
    name: "until",
    type: "datetime-local",
    step: "1",
    value: toLocalInput(ctx.query.get("until") ?? undefined),
  });
  const byFilter = h("input", {
    type: "radio",
    name: "mode",
    value: "filter",
    id: "mode-filter",
    checked: true,
  });
  const bySelection = h("input", { type: "radio", name: "mode", value: "selection", id: "mode-selection" });
  const selectionLabel = h("label", { for: "mode-selection" });
  const showSelection = () => {
    selectionLabel.textContent = `Only the selected events (${picked.events.size} selected below)`;
    bySelection.disabled = picked.events.size === 0;
    if (bySelection.disabled && bySelection.checked) byFilter.checked = true;
  };
  showSelection();
  const estimateButton = h("button", { type: "submit", class: "primary" }, "Estimate (dry run)");
  const outcome = h("div", { class: "estimate", role: "status", "aria-live": "polite" });
  const progressArea = h("div");
  const form = h(
    "form",
    { class: "replay", "aria-labelledby": "replay-h" },
    h(
      "fieldset",
      null,
      h("legend", null, "What to replay"),
      h(
        "div",
        { class: "radio" },
        byFilter,
        h("label", { for: "mode-filter" }, `Every dead letter of ${subscription} matching:`),
      ),
      h(
        "div",
        { class: "filters indent" },
        field("Reason", reason),
        field("Arrived since (local time)", since),
        field("Arrived until (local time)", until),
      ),
      h("div", { class: "radio" }, bySelection, selectionLabel),
    ),
    h("div", { class: "actions" }, estimateButton),
    outcome,
  );
  const clearEstimate = () => outcome.replaceChildren();
  onSelectionChange.add(() => {
    showSelection();
    clearEstimate();
  });
  // Anything changed after an estimate: the estimate no longer describes the form, so no confirm.
  form.addEventListener("input", clearEstimate);
  form.addEventListener("change", clearEstimate);

  const filtersNow = (): ReplayFilter[] => {
    if (bySelection.checked) return pickedFilters(subscription);
    const sinceIso = fromLocalInput(since.value);
    const untilIso = fromLocalInput(until.value);
    return [
      {
        deadLettered: true,
        subscription,
        ...(reason.value ? { reason: reason.value } : {}),
        ...(sinceIso ? { since: sinceIso } : {}),
        ...(untilIso ? { until: untilIso } : {}),
      },
    ];
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(estimateButton, ctx, async () => {
      const filters = filtersNow();
      outcome.replaceChildren(loading("Estimating (dry run)…"));
      try {
        const estimates: ReplayEstimate[] = [];
        for (const filter of filters) estimates.push(await ctx.api.estimateReplay(filter, ctx.signal));
        showEstimate(filters, sum(estimates));
      } catch (error) {
        if (isAbort(error)) return;
        outcome.replaceChildren(errorBox(error));
      }
    });
  });

  const showEstimate = (filters: readonly ReplayFilter[], estimate: ReplayEstimate) => {
    const strangers = bySelection.checked ? estimate.firstIds.filter((id) => !picked.events.has(id)) : [];
    const parts = Object.entries(estimate.perSubscription).map(([id, n]) => `${id}: ${n}`);
    const summary = h(
      "p",
      { class: "estimate-text" },
      h("strong", null, "Dry run: "),
      `${plural(estimate.total, "dead letter")} would be sent again`,
      parts.length > 0 ? ` (${parts.join(", ")})` : "",
      ".",
    );
    const firstIds =
      estimate.firstIds.length > 0 &&
      h(
        "p",
        null,
        "First ids: ",
        estimate.firstIds.map((id, i) => [
          i > 0 ? ", " : "",
          h("a", { href: `#/events/${encodeURIComponent(id)}`, class: "mono" }, id),
        ]),
      );
    const warning =
      strangers.length > 0 &&
      h(
        "p",
        { class: "warning" },
        `Also matches events you did not select (they arrived in the same millisecond): ${strangers.join(", ")}.`,
      );
    if (estimate.total === 0) {
      outcome.replaceChildren(summary, h("p", { class: "empty" }, "Nothing to replay."));
      return;
    }
    const confirm = h(
      "button",
      { type: "button", class: "primary" },
      `Replay ${plural(estimate.total, "dead letter")}`,
    );
    const cancel = h("button", { type: "button", onclick: clearEstimate }, "Cancel");
    confirm.addEventListener("click", () =>
      busy(confirm, ctx, async () => {
        const ids: string[] = [];
        try {
          for (const filter of filters) ids.push((await ctx.api.startReplay(filter)).id);
        } finally {
          if (ids.length > 0) {
            outcome.replaceChildren(h("p", null, `Started ${plural(ids.length, "replay")}.`));
            const refresh = h("button", { type: "button", onclick: ctx.refresh }, "Refresh the dead letters");
            const stale = h("p", { class: "note" });
            progressArea.replaceChildren(
              replayProgress(ctx, ids, () => {
                stale.textContent =
                  "The counts and lists on this page were read before the replay: refresh to see the DLQ as it is now.";
                refresh.classList.add("primary");
              }),
              stale,
              refresh,
            );
            picked.events.clear();
            showSelection();
          }
        }
      }),
    );
    outcome.replaceChildren(
      summary,
      firstIds || "",
      warning || "",
      h(
        "p",
        { class: "note" },
        "Confirming takes these messages out of the DLQ and delivers each again as a fresh delivery (same event id and webhook-id). Fix the destination first: one that still fails sends them through the whole retry schedule again.",
      ),
      h("div", { class: "actions" }, confirm, cancel),
    );
    confirm.focus();
  };

  return h(
    "section",
    { "aria-labelledby": "replay-h" },
    h("h2", { id: "replay-h" }, "Replay"),
    form,
    progressArea,
  );
}

function chooser(
  ctx: ViewContext,
  subscriptions: readonly SubscriptionHealth[],
  current?: string,
): HTMLFormElement {
  const picker = select(
    "subscription",
    subscriptions.map((s) => [s.id, `${s.id} (${s.dlqDepth} in DLQ)`] as const),
    current,
    "choose…",
  );
  const form = h(
    "form",
    { class: "inline", "aria-label": "Choose a subscription" },
    field("Subscription", picker),
    h("button", { type: "submit" }, "Show dead letters"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (picker.value) ctx.navigate(`#/dead-letters/${encodeURIComponent(picker.value)}`);
  });
  return form;
}

/** `#/dead-letters` and `#/dead-letters/<subscription>`: reasons, dead-lettered events, replay. */
export async function deadLettersView(ctx: ViewContext, subscription?: string): Promise<void> {
  let subscriptions: readonly SubscriptionHealth[];
  try {
    subscriptions = await ctx.api.listSubscriptions(ctx.signal);
  } catch (error) {
    if (isAbort(error)) return;
    ctx.main.replaceChildren(heading("Dead letters"), errorBox(error, ctx.refresh));
    return;
  }
  const health = subscriptions.find((s) => s.id === subscription);
  if (!subscription || !health) {
    ctx.main.replaceChildren(
      heading("Dead letters"),
      subscription ? errorBox(new Error(`No subscription '${subscription}' in the config.`)) : "",
      chooser(ctx, subscriptions),
      table(
        "Dead-letter queues",
        ["Subscription", "State", "DLQ depth"],
        subscriptions.map((s) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, h("a", { href: `#/dead-letters/${encodeURIComponent(s.id)}` }, s.id)),
            h("td", null, s.state),
            h("td", { class: "num" }, String(s.dlqDepth)),
          ),
        ),
      ),
    );
    return;
  }

  if (picked.subscription !== subscription) {
    picked.subscription = subscription;
    picked.events.clear();
  }
  const selectionListeners = new Set<() => void>();
  const reasons = h(
    "section",
    { "aria-labelledby": "reasons-h" },
    h("h2", { id: "reasons-h" }, "Reasons"),
    loading("Counting dead letters by reason…"),
  );
  const events = h(
    "section",
    { "aria-labelledby": "dead-events-h" },
    h("h2", { id: "dead-events-h" }, "Dead-lettered events"),
    loading("Loading dead-lettered events…"),
  );
  const replay = replayForm(ctx, subscription, selectionListeners);
  ctx.main.replaceChildren(
    heading(`Dead letters of ${subscription}`),
    chooser(ctx, subscriptions, subscription),
    h(
      "p",
      null,
      `${plural(health.dlqDepth, "message")} in the DLQ; the subscription is ${health.state}`,
      health.state === "active"
        ? "."
        : health.state === "paused"
          ? " (a replay waits until it resumes)."
          : ` (${health.disabledReason ?? "disabled"}; resume it before replaying).`,
    ),
    reasons,
    replay,
    events,
  );

  const chooseReason = (reason: string) => {
    const select = replay.querySelector<HTMLSelectElement>("select[name=reason]");
    const filterMode = replay.querySelector<HTMLInputElement>("#mode-filter");
    if (select && filterMode) {
      select.value = reason;
      filterMode.checked = true;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      select.focus();
    }
  };
  void reasonsTable(ctx, subscription, chooseReason)
    .then((content) => reasons.replaceChildren(reasons.firstChild as Node, content))
    .catch((error: unknown) => {
      if (!isAbort(error)) reasons.replaceChildren(reasons.firstChild as Node, errorBox(error));
    });

  const cursor = ctx.query.get("cursor") || undefined;
  try {
    const page = await ctx.api.listEvents(
      { subscription, status: "dead-lettered", limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) },
      ctx.signal,
    );
    const checkbox = (event: EventSummary) => {
      const box = h("input", {
        type: "checkbox",
        "aria-label": `Select ${event.id}`,
        checked: picked.events.has(event.id),
      });
      box.addEventListener("change", () => {
        if (box.checked) picked.events.set(event.id, event.receivedAt);
        else picked.events.delete(event.id);
        for (const listener of selectionListeners) listener();
      });
      return box;
    };
    const rows = eventRows(page.events, { select: checkbox });
    const all = h("input", { type: "checkbox", "aria-label": "Select every event on this page" });
    all.addEventListener("change", () => {
      for (const box of events.querySelectorAll<HTMLInputElement>("tbody input[type=checkbox]")) {
        if (box.checked !== all.checked) {
          box.checked = all.checked;
          box.dispatchEvent(new Event("change"));
        }
      }
    });
    const list =
      page.events.length === 0
        ? h(
            "p",
            { class: "empty" },
            cursor
              ? "No older dead-lettered events."
              : `No event is dead-lettered for ${subscription} in the archive.`,
          )
        : table(`Events dead-lettered for ${subscription}, newest first`, ["Select", ...EVENT_HEADERS], rows);
    if (page.events.length > 0) list.querySelector("thead th")?.replaceChildren(all);
    events.replaceChildren(
      events.firstChild as Node,
      list,
      pager(ctx, `/dead-letters/${encodeURIComponent(subscription)}`, { cursor }, page.nextCursor),
    );
  } catch (error) {
    if (isAbort(error)) return;
    events.replaceChildren(events.firstChild as Node, errorBox(error, ctx.refresh));
  }
}
