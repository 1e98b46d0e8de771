import {
  DISCARD_IDS_MAX,
  type DiscardSetAsideReport,
  type RedriveReport,
  type StreamFailureView,
} from "../../shared/use-cases/ops/contract.js";
import { type Child, h, loading, table } from "../dom.js";
import { plural, time } from "../format.js";
import { busy, errorBox, errorText, heading, isAbort, type ViewContext } from "../view.js";

/** Calls of a redrive in a row whose copies could not be queued before the page stops and says so. */
const STALLS = 3;

const eventLink = (id: string) => h("a", { href: `#/events/${encodeURIComponent(id)}`, class: "mono" }, id);

const ids = (list: readonly string[]) => list.map((id, i) => [i > 0 ? ", " : "", eventLink(id)]);

const perSubscription = (counts: Readonly<Record<string, number>>) => {
  const parts = Object.entries(counts).flatMap(([id, n]) => (n > 0 ? [`${id}: ${n}`] : []));
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
};

/**
 * Runs a redrive call after call (each with the previous answer's cursor) until it is done; its last
 * answer, whose counts cover every call. Gives up (with the answer so far, not done) when the copies of
 * some events could not be queued `STALLS` calls in a row; `from` continues such a redrive.
 */
async function redriveAll(
  ctx: ViewContext,
  dryRun: boolean,
  progress: (report: RedriveReport) => void,
  from?: string,
): Promise<RedriveReport> {
  const signal = dryRun ? ctx.signal : undefined;
  const mode = dryRun ? { dryRun: true } : {};
  let report = await ctx.api.redrive(from ? { ...mode, cursor: from } : mode, signal);
  let stalls = 0;
  while (!report.done && report.cursor) {
    progress(report);
    stalls = report.failures.length > 0 ? stalls + 1 : 0;
    if (stalls >= STALLS) return report;
    if (stalls > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    report = await ctx.api.redrive({ ...mode, cursor: report.cursor }, signal);
  }
  return report;
}

function redriveText(report: RedriveReport): HTMLElement[] {
  const dry = report.dryRun;
  const would = dry ? "would be " : "";
  const unmatched = report.unmatched > 0 ? `, ${report.unmatched} of them wanted by no subscription` : "";
  const windows =
    report.windows.length === 0
      ? "no batch in the queue, so no window"
      : `${plural(report.windows.length, "window")} (the batches' arrivals, widened by a margin)`;
  return [
    h(
      "p",
      { class: "estimate-text" },
      h("strong", null, dry ? "Dry run: " : report.done ? "Redrive done: " : "Redrive stopped: "),
      `${plural(report.routed, "event")} ${would}routed${perSubscription(report.perSubscription)}${unmatched}.`,
    ),
    h(
      "p",
      null,
      `Scanned ${windows}: ${plural(report.inWindows, "stored event")} received in them, ${report.indexed} already listed by the event index (left alone). `,
      `${plural(report.messages.deleted, "batch message")} ${would}deleted from the queue, ${report.messages.left} ${would}left there`,
      report.messages.setAside > 0
        ? ` (${plural(report.messages.setAside, "set-aside record")}: a redrive never routes them; discard them below once read).`
        : ".",
    ),
    ...(report.firstIds.length > 0 ? [h("p", null, "First ids: ", ids(report.firstIds))] : []),
    ...(report.unroutableCount > 0
      ? [
          h(
            "div",
            { class: "warning" },
            h(
              "p",
              null,
              `${plural(report.unroutableCount, "event")} of the windows cannot be routed; the batch messages holding them stay in the queue:`,
            ),
            h(
              "ul",
              null,
              report.unroutable.map((u) => h("li", null, eventLink(u.eventId), ` — ${u.reason}`)),
            ),
          ),
        ]
      : []),
    ...(report.failures.length > 0
      ? [
          h(
            "p",
            { class: "warning" },
            `The copies of ${plural(report.failures.length, "event")} could not be queued (${report.failures[0]?.eventId}: ${report.failures[0]?.error}); nothing of theirs was deleted from the queue. Continue once the queues answer.`,
          ),
        ]
      : []),
  ];
}

function redriveSection(ctx: ViewContext, reload: () => void): HTMLElement {
  const estimate = h("button", { type: "button", class: "primary" }, "Estimate redrive (dry run)");
  const outcome = h("div", { class: "estimate", role: "status", "aria-live": "polite" });
  const clear = () => outcome.replaceChildren();
  const say = (report: RedriveReport) =>
    outcome.replaceChildren(
      loading(
        `${report.dryRun ? "Counting (dry run)" : "Redriving"}: ${plural(report.scannedItems, "item")} of the event table scanned, ${report.routed} ${report.dryRun ? "to route" : "routed"} so far…`,
      ),
    );

  const run = (button: HTMLButtonElement, from?: string) =>
    busy(button, ctx, async () => {
      outcome.replaceChildren(loading("Redriving…"));
      let report: RedriveReport;
      try {
        report = await redriveAll(ctx, false, say, from);
      } catch (error) {
        outcome.replaceChildren(errorBox(error));
        reload();
        throw error;
      }
      const more =
        !report.done &&
        report.cursor !== undefined &&
        h("button", { type: "button", class: "primary" }, "Continue the redrive");
      if (more) more.addEventListener("click", () => run(more, report.cursor));
      outcome.replaceChildren(...redriveText(report), more ? h("div", { class: "actions" }, more) : "");
      ctx.announce(
        report.done
          ? `Redrive done: ${plural(report.routed, "event")} routed, ${plural(report.messages.deleted, "batch message")} deleted.`
          : `Redrive stopped: ${plural(report.routed, "event")} routed so far.`,
      );
      reload();
    });

  estimate.addEventListener("click", () =>
    busy(estimate, ctx, async () => {
      outcome.replaceChildren(loading("Estimating (dry run)…"));
      let report: RedriveReport;
      try {
        report = await redriveAll(ctx, true, say);
      } catch (error) {
        if (isAbort(error)) return;
        outcome.replaceChildren(errorBox(error));
        return;
      }
      if (report.routed === 0 && report.messages.deleted === 0) {
        outcome.replaceChildren(...redriveText(report), h("p", { class: "empty" }, "Nothing to redrive."));
        return;
      }
      const confirm = h(
        "button",
        { type: "button", class: "primary" },
        report.routed > 0
          ? `Redrive ${plural(report.routed, "event")}`
          : `Delete ${plural(report.messages.deleted, "covered batch message")} (nothing to route)`,
      );
      confirm.addEventListener("click", () => run(confirm));
      outcome.replaceChildren(
        ...redriveText(report),
        h(
          "p",
          { class: "note" },
          "Confirming routes these events as the router does (listed in the event index, a copy on the queue of each subscription that wants it), then deletes the batch messages it covered. Fix what made the router fail first.",
        ),
        h("div", { class: "actions" }, confirm, h("button", { type: "button", onclick: clear }, "Cancel")),
      );
      confirm.focus();
    }),
  );

  return h(
    "section",
    { "aria-labelledby": "redrive-h" },
    h("h2", { id: "redrive-h" }, "Redrive"),
    h(
      "p",
      null,
      "Routes every stored event received in the batches' windows that the event index does not list; an event the router routed is left alone.",
    ),
    h("div", { class: "actions" }, estimate),
    outcome,
  );
}

function discardText(report: DiscardSetAsideReport): HTMLElement[] {
  const dry = report.dryRun;
  const n = report.discarded.length;
  const rows = report.discarded.map((r) =>
    h(
      "tr",
      null,
      h("td", null, r.eventId ? eventLink(r.eventId) : "—"),
      h("td", { class: "mono" }, r.sequenceNumber),
      h("td", null, r.reason),
    ),
  );
  const { batches, setAside, unreadable } = report.left;
  return [
    h(
      "p",
      { class: "estimate-text" },
      h("strong", null, dry ? "Dry run: " : "Discarded: "),
      dry
        ? `${plural(n, "set-aside record")} would be discarded.`
        : `${plural(n - report.notDeleted, "set-aside record")} deleted from the queue.`,
    ),
    ...(n > 0
      ? [
          table(
            dry ? "Set-aside records to discard" : "Set-aside records discarded",
            ["Event", "Sequence", "Why"],
            rows,
          ),
        ]
      : []),
    h(
      "p",
      null,
      `Left in the queue: ${plural(batches, "batch", "batches")} (never discarded), ${plural(setAside, "set-aside record")}, ${unreadable} unreadable.`,
      report.queued > batches + setAside + unreadable + n
        ? ` The queue held ${plural(report.queued, "message")} when it began (some in flight or past 1000): run it again for the rest.`
        : "",
    ),
    ...(report.notDeleted > 0
      ? [
          h(
            "p",
            { class: "warning" },
            `${report.notDeleted} not deleted (SQS refused): they stay in the queue.`,
          ),
        ]
      : []),
    ...(report.unmatched.length > 0
      ? [
          h(
            "p",
            { class: "warning" },
            `No set-aside record in the queue names ${report.unmatched.join(", ")} (already gone?).`,
          ),
        ]
      : []),
  ];
}

function discardSection(ctx: ViewContext, picked: Set<string>, reload: () => void): HTMLElement {
  const all = h("input", { type: "radio", name: "discard", value: "all", id: "discard-all", checked: true });
  const some = h("input", { type: "radio", name: "discard", value: "selected", id: "discard-selected" });
  const someLabel = h("label", { for: "discard-selected" });
  const estimate = h("button", { type: "submit", class: "primary" }, "Estimate discard (dry run)");
  const outcome = h("div", { class: "estimate", role: "status", "aria-live": "polite" });
  const clear = () => outcome.replaceChildren();
  const form = h(
    "form",
    { "aria-labelledby": "discard-h" },
    h(
      "fieldset",
      null,
      h("legend", null, "What to discard"),
      h(
        "div",
        { class: "radio" },
        all,
        h("label", { for: "discard-all" }, "Every set-aside record in the queue"),
      ),
      h("div", { class: "radio" }, some, someLabel),
    ),
    h("div", { class: "actions" }, estimate),
    outcome,
  );
  const showSelection = () => {
    someLabel.textContent = `Only the selected records (${picked.size} selected above, at most ${DISCARD_IDS_MAX})`;
    some.disabled = picked.size === 0 || picked.size > DISCARD_IDS_MAX;
    if (some.disabled && some.checked) all.checked = true;
    clear();
  };
  showSelection();
  form.addEventListener("change", clear);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void busy(estimate, ctx, async () => {
      const eventIds = some.checked ? [...picked] : undefined;
      const request = eventIds ? { eventIds } : {};
      outcome.replaceChildren(loading("Estimating (dry run)…"));
      let report: DiscardSetAsideReport;
      try {
        report = await ctx.api.discardSetAside({ ...request, dryRun: true }, ctx.signal);
      } catch (error) {
        if (isAbort(error)) return;
        outcome.replaceChildren(errorBox(error));
        return;
      }
      const n = report.discarded.length;
      if (n === 0) {
        outcome.replaceChildren(...discardText(report), h("p", { class: "empty" }, "Nothing to discard."));
        return;
      }
      const confirm = h(
        "button",
        { type: "button", class: "primary" },
        `Discard ${plural(n, "set-aside record")}`,
      );
      confirm.addEventListener("click", () =>
        busy(confirm, ctx, async () => {
          let done: DiscardSetAsideReport;
          try {
            done = await ctx.api.discardSetAside(request);
          } catch (error) {
            outcome.replaceChildren(errorBox(error));
            throw error;
          }
          reload(); // withdraws the selection, and with it the estimate: the report replaces it below
          outcome.replaceChildren(...discardText(done));
          ctx.announce(`Discarded ${plural(done.discarded.length - done.notDeleted, "set-aside record")}.`);
        }),
      );
      outcome.replaceChildren(
        ...discardText(report),
        h(
          "p",
          { class: "note" },
          "Confirming deletes these records from the queue: their events stay stored but are never routed. Read why each was set aside first.",
        ),
        h("div", { class: "actions" }, confirm, h("button", { type: "button", onclick: clear }, "Cancel")),
      );
      confirm.focus();
    });
  });

  const section = h(
    "section",
    { "aria-labelledby": "discard-h" },
    h("h2", { id: "discard-h" }, "Discard set-aside records"),
    form,
  );
  // The list's checkboxes say when the selection changed.
  section.addEventListener("selection", showSelection);
  return section;
}

const td = (content: Child, mono?: boolean) => h("td", mono ? { class: "mono" } : null, content);
const none = (n: number) => Array.from({ length: n }, () => td("—"));

/** A message of the queue: the batch's shard, sequence range and arrivals; a set-aside record's event and why. */
function row(message: StreamFailureView, select: (eventId: string) => HTMLInputElement): HTMLElement {
  const cells =
    message.kind === "batch"
      ? [
          td(message.shardId, true),
          td(`${message.startSequenceNumber}–${message.endSequenceNumber}`, true),
          td(time(message.firstArrival)),
          td(time(message.lastArrival)),
          ...none(1),
          td(`${message.condition} (${plural(message.records, "record")})`),
        ]
      : message.kind === "set-aside"
        ? [
            ...none(1),
            td(message.sequenceNumber, true),
            ...none(2),
            td(message.eventId ? eventLink(message.eventId) : "—"),
            td(message.reason),
          ]
        : [...none(5), td(message.detail, true)];
  return h(
    "tr",
    null,
    td(message.kind === "set-aside" && message.eventId ? select(message.eventId) : ""),
    h("th", { scope: "row" }, message.kind),
    cells,
    td(time(message.sentAt)),
  );
}

/** `#/stream-failures`: what the router never fanned out, its redrive and the discard of set-aside records. */
export async function streamFailuresView(ctx: ViewContext): Promise<void> {
  const picked = new Set<string>();
  const list = h(
    "section",
    { "aria-labelledby": "sf-list-h" },
    h("h2", { id: "sf-list-h" }, "Messages"),
    loading("Reading the stream failures queue…"),
  );
  let discard: HTMLElement;
  const load = async (): Promise<void> => {
    let content: Node[];
    try {
      const { messages, queued } = await ctx.api.listStreamFailures(ctx.signal);
      const select = (eventId: string) => {
        const box = h("input", {
          type: "checkbox",
          "aria-label": `Select ${eventId}`,
          checked: picked.has(eventId),
        });
        box.addEventListener("change", () => {
          if (box.checked) picked.add(eventId);
          else picked.delete(eventId);
          discard.dispatchEvent(new Event("selection"));
        });
        return box;
      };
      content =
        messages.length === 0
          ? [
              h(
                "p",
                { class: "empty" },
                "The stream failures queue is empty: the router has fanned out every stored event.",
              ),
            ]
          : [
              h(
                "p",
                null,
                `${plural(queued, "message")} in the queue`,
                queued > messages.length
                  ? ` (the first ${messages.length} listed; the others are in flight or past the limit).`
                  : ".",
              ),
              h(
                "div",
                { class: "scroll" },
                table(
                  "Messages of the stream failures queue",
                  [
                    "Select",
                    "Kind",
                    "Shard",
                    "Sequence",
                    "First arrival",
                    "Last arrival",
                    "Event",
                    "Why",
                    "Sent",
                  ],
                  messages.map((m) => row(m, select)),
                ),
              ),
            ];
    } catch (error) {
      if (isAbort(error)) return;
      content = [errorBox(error, () => void load())];
    }
    list.replaceChildren(list.firstChild as Node, ...content);
  };
  const reload = () => {
    picked.clear();
    discard.dispatchEvent(new Event("selection"));
    list.replaceChildren(list.firstChild as Node, loading("Reading the stream failures queue…"));
    load().catch((error: unknown) => ctx.announce(`Failed: ${errorText(error)}`));
  };
  discard = discardSection(ctx, picked, reload);
  ctx.main.replaceChildren(
    heading("Stream failures"),
    h(
      "p",
      null,
      "Batches the router's stream mapping gave up on (their events are stored and acknowledged, but on no subscription queue) and records the router set aside (never routable). The alarm ",
      h("code", null, "<prefix>-stream-failures-not-empty"),
      " fires while the queue holds any. Fix the router first (its logs), then redrive.",
    ),
    list,
    redriveSection(ctx, reload),
    discard,
  );
  await load();
}
