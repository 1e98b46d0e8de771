import { type Api, ApiError } from "./api.js";
import { h } from "./dom.js";

/** What every page gets: the API, its place on the page, and a signal that aborts when the page is left. */
export interface ViewContext {
  readonly api: Api;
  readonly main: HTMLElement;
  readonly signal: AbortSignal;
  /** The query of the hash route (`#/events?type=…`). */
  readonly query: URLSearchParams;
  /** Says something in the polite live region (results of actions). */
  announce(message: string): void;
  /** Goes to another hash route. */
  navigate(hash: string): void;
  /** Renders this page again (after an action). */
  refresh(): void;
}

export type View = (ctx: ViewContext, ...params: string[]) => Promise<void>;

/** The page's heading: focusable, so navigation can move the focus to it. */
export function heading(text: string): HTMLHeadingElement {
  return h("h1", { tabindex: -1 }, text);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/** An error as one clear block: the API's `detail`, and a way to try again. */
export function errorBox(error: unknown, retry?: () => void): HTMLElement {
  const detail =
    error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
  const status = error instanceof ApiError && error.status > 0 ? ` (${error.status} ${error.code})` : "";
  return h(
    "div",
    { class: "error", role: "alert" },
    h("p", null, h("strong", null, `Error${status}: `), detail),
    retry && h("button", { type: "button", onclick: retry }, "Try again"),
  );
}

/** The text of an error for the live region. */
export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.detail : error instanceof Error ? error.message : String(error);
}

/** Runs a button's action with the button disabled meanwhile; errors are announced. */
export async function busy(
  button: HTMLButtonElement,
  ctx: Pick<ViewContext, "announce">,
  action: () => Promise<void>,
): Promise<void> {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    if (!isAbort(error)) ctx.announce(`Failed: ${errorText(error)}`);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}
