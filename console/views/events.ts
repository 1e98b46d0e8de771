import type {
  DeliveryStatus,
  EventSummary,
  SubscriptionHealth,
} from "../../shared/use-cases/ops/contract.js";
import { DELIVERY_STATUSES } from "../../shared/use-cases/ops/contract.js";
import type { EventQuery } from "../api.js";
import { field, h, loading, select, table } from "../dom.js";
import { badge, fromLocalInput, plural, time, toLocalInput } from "../format.js";
import { errorBox, heading, isAbort, type ViewContext } from "../view.js";

/** Events per page: the API's default, and what the list renders at once however many there are. */
export const PAGE_SIZE = 50;
const EVENT_ID = /^evt_[A-Za-z0-9_-]{22}$/;
const FILTERS = ["source", "type", "subscription", "status", "since", "until"] as const;

/** The cursors of the pages before this one, for the current filters (the API pages forward only). */
const earlier: { key: string; cursors: string[] } = { key: "", cursors: [] };

export function hashOf(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) search.set(name, value);
  const text = search.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

function filtersOf(query: URLSearchParams): Record<(typeof FILTERS)[number], string | undefined> {
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) || undefined])) as Record<
    (typeof FILTERS)[number],
    string | undefined
  >;
}

/** The rows of one page: built once, 50 at most, whatever the archive holds. */
export function eventRows(
  events: readonly EventSummary[],
  options: { readonly select?: (event: EventSummary) => HTMLInputElement } = {},
): HTMLTableRowElement[] {
  return events.map((event) =>
    h(
      "tr",
      null,
      options.select && h("td", null, options.select(event)),
      h("td", null, time(event.receivedAt)),
      h("td", null, h("a", { href: `#/events/${encodeURIComponent(event.id)}`, class: "mono" }, event.id)),
      h("td", null, event.source),
      h("td", null, event.type),
      h(
        "td",
        null,
        event.deliveries.length === 0
          ? "not routed"
          : h(
              "div",
              { class: "badges" },
              event.deliveries.map((d) => badge(d.status, d.subscription)),
            ),
      ),
    ),
  );
}

export const EVENT_HEADERS = ["Received", "Event id", "Source", "Type", "Deliveries"] as const;

/** Older / newer buttons for a forward-only cursor. */
export function pager(
  ctx: ViewContext,
  path: string,
  params: Record<string, string | undefined>,
  nextCursor: string | undefined,
): HTMLElement {
  const key = JSON.stringify([path, { ...params, cursor: undefined }]);
  if (earlier.key !== key) {
    earlier.key = key;
    earlier.cursors = [];
  }
  const current = params.cursor;
  const pageNumber = earlier.cursors.length + 1;
  const newer = h("button", { type: "button", disabled: current === undefined }, "← Newer");
  newer.addEventListener("click", () => {
    const previous = earlier.cursors.pop();
    ctx.navigate(hashOf(path, { ...params, cursor: previous || undefined }));
  });
  const older = h("button", { type: "button", disabled: nextCursor === undefined }, "Older →");
  older.addEventListener("click", () => {
    earlier.cursors.push(current ?? "");
    ctx.navigate(hashOf(path, { ...params, cursor: nextCursor }));
  });
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    newer,
    h("span", null, current === undefined ? "Newest page" : `Page ${pageNumber}`),
    older,
  );
}

function filterForm(
  ctx: ViewContext,
  filters: Record<(typeof FILTERS)[number], string | undefined>,
  subscriptions: readonly SubscriptionHealth[] | undefined,
): HTMLFormElement {
  const input = (name: string, value: string | undefined, attrs: Record<string, string> = {}) =>
    h("input", { name, value: value ?? "", autocomplete: "off", ...attrs });
  const subscription = subscriptions
    ? select(
        "subscription",
        subscriptions.map((s) => s.id),
        filters.subscription,
      )
    : input("subscription", filters.subscription);
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter events" },
    field("Source", input("source", filters.source, { placeholder: "e.g. stripe" })),
    field("Type", input("type", filters.type, { placeholder: "e.g. invoice.paid" })),
    field("Subscription", subscription),
    field("Status", select("status", DELIVERY_STATUSES, filters.status)),
    field(
      "Since (local time)",
      input("since", toLocalInput(filters.since), { type: "datetime-local", step: "1" }),
    ),
    field(
      "Until (local time)",
      input("until", toLocalInput(filters.until), { type: "datetime-local", step: "1" }),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("button", { type: "button", onclick: () => ctx.navigate("#/events") }, "Clear"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? "").trim() || undefined;
    ctx.navigate(
      hashOf("/events", {
        source: text("source"),
        type: text("type"),
        subscription: text("subscription"),
        status: text("status"),
        since: fromLocalInput(text("since") ?? ""),
        until: fromLocalInput(text("until") ?? ""),
      }),
    );
  });
  return form;
}

function searchForm(ctx: ViewContext): HTMLFormElement {
  const idInput = h("input", {
    name: "id",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "evt_…",
    required: true,
  });
  const problem = h("p", { class: "field-error", id: "event-id-problem", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "search", role: "search", "aria-label": "Find an event by id" },
    field("Event id", idInput),
    h("button", { type: "submit" }, "Open event"),
    problem,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = idInput.value.trim();
    if (!EVENT_ID.test(id)) {
      problem.textContent =
        "An event id is 'evt_' followed by 22 letters, digits, '-' or '_' (as ingest answered it).";
      idInput.setAttribute("aria-invalid", "true");
      idInput.setAttribute("aria-describedby", problem.id);
      idInput.focus();
      return;
    }
    ctx.navigate(`#/events/${encodeURIComponent(id)}`);
  });
  return form;
}

/** `#/events?…`: filters, search by id, one page of events newest first. */
export async function eventsView(ctx: ViewContext): Promise<void> {
  const filters = filtersOf(ctx.query);
  const cursor = ctx.query.get("cursor") || undefined;
  const results = h(
    "section",
    { "aria-labelledby": "events-caption", "aria-busy": "true" },
    loading("Loading events…"),
  );
  const query: EventQuery = {
    ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
    ...(cursor ? { cursor } : {}),
    status: filters.status as DeliveryStatus | undefined,
    limit: PAGE_SIZE,
  };
  // Both at once: the page of events, and the subscriptions for the filter's choices (a text field if not).
  const pageLoad = ctx.api.listEvents(query, ctx.signal);
  pageLoad.catch(() => undefined);
  const subscriptions = await ctx.api.listSubscriptions(ctx.signal).catch(() => undefined);
  const form = filterForm(ctx, filters, subscriptions);
  ctx.main.replaceChildren(heading("Events"), searchForm(ctx), form, results);

  try {
    const page = await pageLoad;
    const filtered = FILTERS.some((name) => filters[name] !== undefined);
    const caption = `Events${filtered ? " matching the filters" : ""}, newest first (${plural(page.events.length, "event")} on this page)`;
    results.replaceChildren(
      page.events.length === 0
        ? h(
            "p",
            { class: "empty", id: "events-caption" },
            cursor
              ? "No older events."
              : filtered
                ? "No event matches these filters. Widen the time window or clear a filter."
                : "No events in the archive yet. Send a webhook (npm run send) and they appear here.",
          )
        : Object.assign(table(caption, EVENT_HEADERS, eventRows(page.events)), { id: "events-table" }),
      pager(ctx, "/events", { ...filters, cursor }, page.nextCursor),
    );
    results.querySelector("caption")?.setAttribute("id", "events-caption");
  } catch (error) {
    if (isAbort(error)) return;
    results.replaceChildren(errorBox(error, ctx.refresh));
  } finally {
    results.removeAttribute("aria-busy");
  }
}
