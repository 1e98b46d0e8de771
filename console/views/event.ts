import type { AttemptView, EventDetail } from "../../shared/use-cases/ops/contract.js";
import { h, table } from "../dom.js";
import { badge, millis, plural, time } from "../format.js";
import { busy, errorBox, heading, isAbort, type ViewContext } from "../view.js";

function payloadBlock(event: EventDetail): HTMLElement {
  const { payload } = event;
  switch (payload.kind) {
    case "json":
      return h(
        "div",
        null,
        h(
          "p",
          { class: "note" },
          `JSON, ${plural(payload.bytes, "byte")} as received; shown pretty-printed.`,
        ),
        h(
          "pre",
          { class: "payload", tabindex: 0, "aria-label": "Payload (JSON)" },
          JSON.stringify(payload.json, null, 2),
        ),
      );
    case "base64":
      return h(
        "div",
        null,
        h(
          "p",
          { class: "note" },
          `Not JSON (${event.contentType ?? "no content type"}, ${plural(payload.bytes, "byte")}): shown base64-encoded, byte for byte as received.`,
        ),
        h("pre", { class: "payload", tabindex: 0, "aria-label": "Payload (base64)" }, payload.base64),
      );
    case "erased":
      return h(
        "p",
        { class: "note" },
        "The payload (",
        plural(payload.bytes, "byte"),
        ") was erased by an operator at ",
        time(payload.erasedAt),
        "; the metadata, headers and attempts stay.",
      );
  }
}

/** What started an attempt's round when it is not the routed delivery: a resend, a replay, a DLQ replay. */
function roundLabel(a: AttemptView, previous: AttemptView | undefined): HTMLElement | "" {
  if (a.resendId)
    return h(
      "span",
      { class: "note", title: a.resendId },
      a.resendId.startsWith("rpl_") ? " replay" : " resend",
    );
  // A DLQ replay keeps the message's own marker; its attempts count from 1 again.
  if (previous && a.attempt <= previous.attempt)
    return h("span", { class: "note", title: "a replay from the DLQ started this round" }, " again");
  return "";
}

function attemptRows(attempts: readonly AttemptView[]): HTMLTableRowElement[] {
  return attempts.map((a, i) =>
    h(
      "tr",
      null,
      h("td", null, String(a.attempt), roundLabel(a, attempts[i - 1])),
      h("td", null, time(a.at)),
      h("td", null, badge(a.result)),
      h("td", null, a.status !== undefined ? String(a.status) : (a.errorClass ?? "—")),
      h("td", { class: "num" }, millis(a.latencyMs)),
      h("td", null, a.detail ? h("code", { class: "excerpt" }, a.detail) : "—"),
    ),
  );
}

function eraseControls(ctx: ViewContext, event: EventDetail): HTMLElement {
  const box = h("div", { class: "confirm-area" });
  const ask = h("button", { type: "button", class: "danger" }, "Erase payload…");
  ask.disabled = event.payload.kind === "erased";
  ask.addEventListener("click", () => {
    const confirm = h("button", { type: "button", class: "danger" }, "Erase payload now");
    const cancel = h("button", { type: "button" }, "Cancel");
    const panel = h(
      "div",
      { class: "confirm", role: "group", "aria-labelledby": "erase-question" },
      h(
        "p",
        { id: "erase-question" },
        `Erase the stored payload of ${event.id}? It cannot be undone: resends and replays of this event will have nothing to send. Metadata, headers and attempts stay.`,
      ),
      h("div", { class: "actions" }, confirm, cancel),
    );
    cancel.addEventListener("click", () => {
      box.replaceChildren(ask);
      ask.focus();
    });
    confirm.addEventListener("click", () =>
      busy(confirm, ctx, async () => {
        const result = await ctx.api.erasePayload(event.id);
        ctx.announce(`Payload of ${result.id} erased at ${result.erasedAt}.`);
        ctx.refresh();
      }),
    );
    box.replaceChildren(panel);
    cancel.focus();
  });
  box.append(ask);
  return box;
}

function resendButton(ctx: ViewContext, event: EventDetail, subscription?: string): HTMLButtonElement {
  const button = h(
    "button",
    { type: "button" },
    subscription ? `Resend to ${subscription}` : "Resend to all subscriptions",
  );
  button.addEventListener("click", () =>
    busy(button, ctx, async () => {
      const result = await ctx.api.resend(event.id, subscription ? [subscription] : undefined);
      ctx.announce(
        `Resent ${result.id} to ${result.subscriptions.join(", ")} (resend ${result.resendId}); refresh to see its attempts.`,
      );
    }),
  );
  return button;
}

/** `#/events/<id>`: the event, its payload and headers, and every attempt per subscription. */
export async function eventView(ctx: ViewContext, id: string): Promise<void> {
  let event: EventDetail;
  try {
    event = await ctx.api.getEvent(id, ctx.signal);
  } catch (error) {
    if (isAbort(error)) return;
    ctx.main.replaceChildren(heading(`Event ${id}`), errorBox(error, ctx.refresh));
    return;
  }
  const meta: [string, Node | string][] = [
    ["Source", event.source],
    ["Provider", event.provider],
    ["Type", event.type],
    ["Received", time(event.receivedAt)],
    ["Provider's delivery id", event.deliveryId ?? "—"],
    ["Content type", event.contentType ?? "—"],
  ];
  const headers = Object.entries(event.headers);
  ctx.main.replaceChildren(
    heading(`Event ${event.id}`),
    h("p", null, h("a", { href: "#/events" }, "← All events")),
    h(
      "dl",
      { class: "meta" },
      meta.map(([name, value]) => [h("dt", null, name), h("dd", null, value)]),
    ),
    h(
      "div",
      { class: "actions" },
      event.subscriptions.length > 0 && resendButton(ctx, event),
      h("button", { type: "button", onclick: ctx.refresh }, "Refresh"),
    ),
    h(
      "section",
      { "aria-labelledby": "deliveries-h" },
      h("h2", { id: "deliveries-h" }, "Deliveries"),
      event.subscriptions.length === 0
        ? h("p", { class: "empty" }, "No subscription wanted this event (no route matched it).")
        : event.subscriptions.map((s) =>
            h(
              "section",
              { class: "delivery", "aria-labelledby": `sub-${s.subscription}` },
              h("h3", { id: `sub-${s.subscription}` }, s.subscription, " ", badge(s.status)),
              h(
                "div",
                { class: "actions" },
                resendButton(ctx, event, s.subscription),
                s.status === "dead-lettered" &&
                  h(
                    "a",
                    { href: `#/dead-letters/${encodeURIComponent(s.subscription)}` },
                    `Dead letters of ${s.subscription}`,
                  ),
              ),
              s.attempts.length === 0
                ? h(
                    "p",
                    { class: "empty" },
                    s.status === "enqueued"
                      ? "A queue subscription: its consumer reads the event from its queue; no attempts are recorded here."
                      : "No attempt recorded yet (in the queue, or parked behind an open breaker).",
                  )
                : table(
                    `Attempts to ${s.subscription}, oldest first`,
                    ["#", "Time", "Result", "Status or error", "Latency", "Response (first bytes)"],
                    attemptRows(s.attempts),
                  ),
            ),
          ),
    ),
    h(
      "section",
      { "aria-labelledby": "payload-h" },
      h("h2", { id: "payload-h" }, "Payload"),
      payloadBlock(event),
      eraseControls(ctx, event),
    ),
    h(
      "section",
      { "aria-labelledby": "headers-h" },
      h("h2", { id: "headers-h" }, "Kept headers"),
      headers.length === 0
        ? h("p", { class: "empty" }, "No headers kept (signatures and credentials never are).")
        : table(
            "Request headers kept with the event (never signatures or credentials)",
            ["Name", "Value"],
            headers.map(([name, value]) =>
              h("tr", null, h("td", { class: "mono" }, name), h("td", null, value)),
            ),
          ),
    ),
  );
}
