import type { ReplayStatus } from "../../shared/use-cases/ops/contract.js";
import { h } from "../dom.js";
import { plural, time } from "../format.js";
import { errorBox, errorText, heading, isAbort, type ViewContext } from "../view.js";

/** How often a running replay is asked for its progress. */
const POLL_MS = 1000;

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("left the page", "AbortError"));
      },
      { once: true },
    );
  });

/**
 * The progress of one or more replays (a selection runs one per event), polled with `GET replays/{id}`
 * until none is running or the page is left.
 */
export function replayProgress(
  ctx: ViewContext,
  ids: readonly string[],
  onFinish?: (state: "done" | "failed") => void,
): HTMLElement {
  const bar = h("progress", { max: 1, value: 0, "aria-label": "Replay progress" });
  const text = h("p", { class: "progress-text", role: "status" }, "Starting…");
  const failures = h("ul", { class: "failures" });
  const box = h(
    "section",
    { class: "progress", "aria-labelledby": "progress-h" },
    h("h2", { id: "progress-h" }, ids.length === 1 ? `Replay ${ids[0]}` : `${ids.length} replays`),
    bar,
    text,
    failures,
  );
  const show = (statuses: readonly ReplayStatus[]) => {
    const total = statuses.reduce((n, s) => n + s.total, 0);
    const sent = statuses.reduce((n, s) => n + s.sent, 0);
    const state = statuses.some((s) => s.state === "running")
      ? "running"
      : statuses.some((s) => s.state === "failed")
        ? "failed"
        : "done";
    bar.max = Math.max(total, 1);
    bar.value = state === "done" && total === 0 ? 1 : sent;
    box.dataset.state = state;
    const finished = statuses
      .map((s) => s.finishedAt)
      .sort()
      .at(-1);
    text.replaceChildren(
      h("strong", null, state),
      ` — ${sent} of ${plural(total, "message")} sent`,
      ...(state !== "running" && finished ? [" (finished ", time(finished), ")"] : []),
    );
    failures.replaceChildren(
      ...statuses.flatMap((s) =>
        s.failures.map((f) =>
          h("li", null, [f.eventId, f.subscription].filter(Boolean).join(" → ") || "replay", `: ${f.error}`),
        ),
      ),
    );
    return state;
  };
  void (async () => {
    for (;;) {
      try {
        const statuses = await Promise.all(ids.map((id) => ctx.api.getReplay(id, ctx.signal)));
        const state = show(statuses);
        if (state !== "running") {
          ctx.announce(`Replay ${text.textContent ?? ""}`);
          onFinish?.(state);
          return;
        }
        await wait(POLL_MS, ctx.signal);
      } catch (error) {
        if (isAbort(error) || ctx.signal.aborted) return;
        text.replaceChildren(`Could not read the replay's progress: ${errorText(error)}`);
        try {
          await wait(POLL_MS * 3, ctx.signal);
        } catch {
          return;
        }
      }
    }
  })();
  return box;
}

/** `#/replays/<id>`: one replay's progress (linkable; the dead letters page shows the same). */
export async function replayView(ctx: ViewContext, id: string): Promise<void> {
  try {
    const status = await ctx.api.getReplay(id, ctx.signal);
    ctx.main.replaceChildren(
      heading(`Replay ${id}`),
      h(
        "dl",
        { class: "meta" },
        h("dt", null, "Started"),
        h("dd", null, time(status.startedAt), ` by ${status.by}`),
        h("dt", null, "Filter"),
        h("dd", null, h("code", null, JSON.stringify(status.filter))),
      ),
      replayProgress(ctx, [id]),
    );
  } catch (error) {
    if (isAbort(error)) return;
    ctx.main.replaceChildren(heading(`Replay ${id}`), errorBox(error, ctx.refresh));
  }
}
