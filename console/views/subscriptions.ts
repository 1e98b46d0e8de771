import type { SubscriptionHealth } from "../../shared/use-cases/ops/contract.js";
import { h, table } from "../dom.js";
import { badge, millis, percent, seconds, time } from "../format.js";
import { busy, errorBox, heading, isAbort, type ViewContext } from "../view.js";

function stateCell(s: SubscriptionHealth): HTMLElement {
  const why =
    s.state === "paused"
      ? `by ${(s.pausedBy ?? []).join(" and ") || "ops"}`
      : s.state === "disabled"
        ? (s.disabledReason ?? "")
        : "";
  return h(
    "td",
    null,
    badge(s.state),
    why && h("div", { class: "small" }, why),
    s.changedAt && h("div", { class: "small" }, "since ", time(s.changedAt)),
  );
}

function actionButton(
  ctx: ViewContext,
  label: string,
  ariaLabel: string,
  action: () => Promise<string>,
): HTMLButtonElement {
  const button = h("button", { type: "button", "aria-label": ariaLabel }, label);
  button.addEventListener("click", () =>
    busy(button, ctx, async () => {
      ctx.announce(await action());
      ctx.refresh();
    }),
  );
  return button;
}

function actionsCell(ctx: ViewContext, s: SubscriptionHealth): HTMLElement {
  if (s.target === "queue") return h("td", { class: "small" }, "its consumer reads the queue");
  const buttons: HTMLButtonElement[] = [];
  if (s.state === "active") {
    buttons.push(
      actionButton(ctx, "Pause", `Pause ${s.id}`, async () => {
        const after = await ctx.api.pause(s.id);
        return `${after.id} is ${after.state}: deliveries wait in its queue.`;
      }),
    );
  } else {
    buttons.push(
      actionButton(ctx, "Resume", `Resume ${s.id}`, async () => {
        const after = await ctx.api.resume(s.id);
        return `${after.id} is ${after.state}.`;
      }),
    );
  }
  if (s.url && s.breaker && s.breaker.state !== "closed") {
    const url = s.url;
    buttons.push(
      actionButton(ctx, "Close breaker", `Close breaker of ${s.id}`, async () => {
        const breaker = await ctx.api.closeBreaker(url);
        return `Breaker of ${breaker.destination} is ${breaker.state}.`;
      }),
    );
  }
  return h("td", null, h("div", { class: "actions" }, buttons));
}

function row(ctx: ViewContext, s: SubscriptionHealth): HTMLTableRowElement {
  const hour = s.lastHour;
  return h(
    "tr",
    null,
    h(
      "th",
      { scope: "row" },
      s.id,
      h("div", { class: "small mono" }, s.target === "http" ? (s.url ?? "http") : "queue"),
    ),
    stateCell(s),
    h("td", { class: "num" }, String(s.backlog)),
    h(
      "td",
      { class: "num" },
      s.dlqDepth > 0
        ? h("a", { href: `#/dead-letters/${encodeURIComponent(s.id)}` }, String(s.dlqDepth))
        : String(s.dlqDepth),
    ),
    h("td", { class: "num" }, seconds(s.oldestMessageAgeSeconds)),
    h(
      "td",
      null,
      s.breaker ? badge(s.breaker.state) : "—",
      s.breaker?.openUntil && h("div", { class: "small" }, "until ", time(s.breaker.openUntil)),
    ),
    h(
      "td",
      { class: "num" },
      percent(hour?.successRate),
      hour && h("div", { class: "small" }, `${hour.delivered} ok / ${hour.failed} failed`),
    ),
    h("td", { class: "num" }, millis(hour?.p50Ms)),
    h("td", { class: "num" }, millis(hour?.p99Ms)),
    h("td", null, s.lastError ? h("code", { class: "excerpt" }, s.lastError) : "—"),
    actionsCell(ctx, s),
  );
}

/** `#/subscriptions`: each subscription's health, with pause / resume / close breaker. */
export async function subscriptionsView(ctx: ViewContext): Promise<void> {
  let subscriptions: readonly SubscriptionHealth[];
  try {
    subscriptions = await ctx.api.listSubscriptions(ctx.signal);
  } catch (error) {
    if (isAbort(error)) return;
    ctx.main.replaceChildren(heading("Subscriptions"), errorBox(error, ctx.refresh));
    return;
  }
  ctx.main.replaceChildren(
    heading("Subscriptions"),
    h("div", { class: "actions" }, h("button", { type: "button", onclick: ctx.refresh }, "Refresh")),
    subscriptions.length === 0
      ? h("p", { class: "empty" }, "The config has no subscriptions.")
      : h(
          "div",
          { class: "scroll" },
          table(
            "Subscription health (deliveries, success rate and latency over the last hour)",
            [
              "Subscription",
              "State",
              "Backlog",
              "DLQ depth",
              "Oldest message",
              "Breaker",
              "Success rate",
              "p50",
              "p99",
              "Last error",
              "Actions",
            ],
            subscriptions.map((s) => row(ctx, s)),
          ),
        ),
  );
}
