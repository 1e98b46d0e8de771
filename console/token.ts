/**
 * The operator's token: read once from the URL fragment (`#token=…`, which browsers never send to a
 * server; `npm start` prints such a link), kept in sessionStorage (this tab only, gone when it closes)
 * and removed from the address bar and history. Absent, the console asks for one.
 */

const KEY = "webhooks-ops-token";

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * Takes a `#token=…` fragment into storage and replaces it (without a history entry) by `fallback`.
 * Returns whether there was one.
 */
export function takeTokenFromFragment(fallback: string): boolean {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return false;
  let token: string;
  try {
    token = decodeURIComponent(match[1]);
  } catch {
    token = match[1];
  }
  storeToken(token.trim());
  history.replaceState(null, "", `${location.pathname}${location.search}${fallback}`);
  return true;
}
