import { createApi } from "./api.js";
import { loading } from "./dom.js";
import { forgetToken, storedToken, storeToken, takeTokenFromFragment } from "./token.js";
import { errorBox, isAbort, type View, type ViewContext } from "./view.js";
import { deadLettersView } from "./views/dead-letters.js";
import { eventView } from "./views/event.js";
import { eventsView } from "./views/events.js";
import { replayView } from "./views/replay.js";
import { signInView } from "./views/sign-in.js";
import { streamFailuresView } from "./views/stream-failures.js";
import { subscriptionsView } from "./views/subscriptions.js";

/**
 * The ops console: a single page over the ops API (`./api/`), routed by the URL fragment
 * (`#/events`, `#/events/<id>`, `#/dead-letters/<subscription>`, `#/subscriptions`, `#/replays/<id>`,
 * `#/stream-failures`).
 * The static files hold no data; every call carries the operator's token.
 */

const HOME = "#/events";
const ROUTES: readonly (readonly [RegExp, View, string])[] = [
  [/^\/events$/, eventsView, "events"],
  [/^\/events\/([^/]+)$/, eventView, "events"],
  [/^\/dead-letters$/, deadLettersView, "dead-letters"],
  [/^\/dead-letters\/([^/]+)$/, deadLettersView, "dead-letters"],
  [/^\/replays\/([^/]+)$/, replayView, "dead-letters"],
  [/^\/subscriptions$/, subscriptionsView, "subscriptions"],
  [/^\/stream-failures$/, streamFailuresView, "stream-failures"],
];

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element as T;
};
const main = byId<HTMLElement>("main");
const status = byId<HTMLElement>("status");
const nav = byId<HTMLElement>("nav");
const signOut = byId<HTMLButtonElement>("sign-out");

let problem: string | undefined;
let controller: AbortController | undefined;

const api = createApi({
  base: new URL("api/", location.href),
  token: storedToken,
  onUnauthorized: (error) => {
    forgetToken();
    problem = `${error.detail} Sign in again.`;
    queueMicrotask(() => void render(true));
  },
});

function announce(message: string): void {
  status.textContent = message;
}

function navigate(hash: string): void {
  if (location.hash === hash) void render(true);
  else location.hash = hash;
}

function parseHash(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, "");
  const at = raw.indexOf("?");
  return at < 0
    ? { path: raw, query: new URLSearchParams() }
    : { path: raw.slice(0, at), query: new URLSearchParams(raw.slice(at + 1)) };
}

async function render(focus: boolean): Promise<void> {
  controller?.abort();
  const current = new AbortController();
  controller = current;
  const token = storedToken();
  signOut.hidden = !token;
  nav.hidden = !token;
  if (!token) {
    document.title = "Sign in — Webhooks ops";
    const container = document.createElement("div");
    main.replaceChildren(container);
    signInView(container, problem, (value) => {
      storeToken(value);
      problem = undefined;
      if (!location.hash.startsWith("#/")) history.replaceState(null, "", HOME);
      void render(true);
    });
    return;
  }
  const { path, query } = parseHash();
  const route = ROUTES.map(([pattern, view, section]) => ({ match: pattern.exec(path), view, section })).find(
    (r) => r.match,
  );
  if (!route?.match) {
    history.replaceState(null, "", HOME);
    return render(focus);
  }
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.section === route.section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // Each render writes into a container of its own: once another render has replaced it, a view still
  // finishing (an answer that arrived late) writes into a detached element, never over the new page.
  const container = document.createElement("div");
  const ctx: ViewContext = {
    api,
    main: container,
    signal: current.signal,
    query,
    announce,
    navigate,
    refresh: () => void render(false),
  };
  main.setAttribute("aria-busy", "true");
  container.replaceChildren(loading("Loading…"));
  // A new page shows its loading state at once; a refresh keeps the current one until the new is ready.
  if (focus) main.replaceChildren(container);
  try {
    const params = route.match.slice(1).map((p) => decodeURIComponent(p ?? ""));
    await route.view(ctx, ...params);
  } catch (error) {
    if (!isAbort(error)) container.replaceChildren(errorBox(error, ctx.refresh));
  } finally {
    if (controller === current) {
      if (container.parentNode !== main) main.replaceChildren(container);
      main.removeAttribute("aria-busy");
      const title = main.querySelector("h1");
      document.title = `${title?.textContent ?? "Ops"} — Webhooks ops`;
      if (focus && title instanceof HTMLElement) title.focus();
    }
  }
}

// The skip link moves the focus (the fragment is the router's).
document.querySelector("a.skip")?.addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});
signOut.addEventListener("click", () => {
  forgetToken();
  problem = "Signed out.";
  announce("");
  void render(true);
});
window.addEventListener("hashchange", () => {
  announce("");
  void render(true);
});

takeTokenFromFragment(HOME);
if (!location.hash.startsWith("#/") && storedToken()) history.replaceState(null, "", HOME);
void render(false);
