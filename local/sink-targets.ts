/**
 * The sample config delivers to the built-in sink at `http://127.0.0.1:3000/_local/sink/billing`, but
 * a stack started with `PORT=3100` (or port 0 in tests) serves the sink elsewhere. The local runtime
 * points every HTTP target that names a local sink (`127.0.0.1` or `localhost`, any port) at its own
 * server before the functions read the config.
 */

export interface SinkRewrite {
  readonly subscriptionId: string;
  readonly from: string;
  readonly to: string;
}

const LOCAL_SINK_URL = /^http:\/\/(?:127\.0\.0\.1|localhost)(?::\d{1,5})?(\/_local\/sink\/[\w-]+)$/i;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A copy of the raw config JSON with local sink targets pointed at `baseUrl` (`http://127.0.0.1:3100`),
 * and the list of targets that changed. Everything else is left as written.
 */
export function pointSinkTargetsAt(
  rawConfig: unknown,
  baseUrl: string,
): { readonly config: unknown; readonly rewritten: readonly SinkRewrite[] } {
  if (!isRecord(rawConfig) || !Array.isArray(rawConfig.subscriptions))
    return { config: rawConfig, rewritten: [] };
  const rewritten: SinkRewrite[] = [];
  const subscriptions = rawConfig.subscriptions.map((subscription: unknown) => {
    if (!isRecord(subscription) || !isRecord(subscription.target)) return subscription;
    const { target } = subscription;
    const url = target.url;
    if (target.type !== "http" || typeof url !== "string") return subscription;
    const sinkPath = LOCAL_SINK_URL.exec(url)?.[1];
    if (sinkPath === undefined) return subscription;
    const to = `${baseUrl}${sinkPath}`;
    if (to === url) return subscription;
    rewritten.push({ subscriptionId: String(subscription.id), from: url, to });
    return { ...subscription, target: { ...target, url: to } };
  });
  return { config: { ...rawConfig, subscriptions }, rewritten };
}
