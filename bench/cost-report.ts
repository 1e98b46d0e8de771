import { type CostBench, callsPerWebhook, DEFAULT_WINDOWS_TEXT, REGIME_TEXT, type Scenario } from "./cost.js";
import { DURATION_MODEL, dollarsPerMillion, SERVICES } from "./cost-model.js";
import { percentile } from "./http.js";
import { PRICES } from "./prices.js";
import { fmt, printTable } from "./table.js";

const usd = (n: number) => fmt(n, 2);
const windowsText = (s: Scenario) => (s.windows === "default" ? "default" : "0 s");
const label = (s: Scenario) => [s.subscription, s.ingress, REGIME_TEXT[s.regime], windowsText(s)];

function perWebhook(s: Scenario, pick: (f: NonNullable<Scenario["usage"]["functions"]["ingest"]>) => number) {
  return Object.values(s.usage.functions).reduce((t, f) => t + (f ? pick(f) : 0), 0) / s.webhooks;
}

/** The targets, $ per million: to one HTTP subscription, to one queue subscription. */
export const TARGET_USD: Record<Scenario["subscription"], number> = { http: 2.0, queue: 1.25 };

export function printCost(bench: CostBench): void {
  const { scenarios } = bench;
  console.log(
    `Per million 1 KiB webhooks (a signed Stripe invoice.paid event), us-east-1 list prices (bench/prices.ts, ` +
      `checked ${PRICES.dynamodbWriteUnit.checked}); batching windows: default = ${DEFAULT_WINDOWS_TEXT}.\n` +
      "Lambda GB-s from the durations measured on this machine (they stand in for Lambda's).\n",
  );
  printTable(
    ["subscription", "ingress", "traffic", "windows", "n", ...SERVICES, "total $/M"],
    scenarios.map((s) => {
      const cost = dollarsPerMillion(s.usage, s.webhooks, "measured");
      return [...label(s), String(s.webhooks), ...SERVICES.map((k) => usd(cost[k])), usd(cost.total)];
    }),
    4,
  );

  console.log(
    `\nThe same with modelled in-region durations: ${DURATION_MODEL.cpuMs.ingest} ms CPU per invocation, ` +
      `a round trip per AWS call (DynamoDB ${DURATION_MODEL.roundTripMs.DynamoDB} ms, SQS ${DURATION_MODEL.roundTripMs.SQS} ms, ` +
      `S3 ${DURATION_MODEL.roundTripMs.S3} ms; a delivery's parallel reads one round trip), ` +
      `a receiver answering in ${DURATION_MODEL.receiverMs} ms (a batch's POSTs in parallel).\n`,
  );
  printTable(
    [
      "subscription",
      "ingress",
      "traffic",
      "windows",
      "Lambda GB-s measured",
      "modelled",
      "total measured",
      "total modelled",
      "target (measured / modelled)",
    ],
    scenarios.map((s) => {
      const measured = dollarsPerMillion(s.usage, s.webhooks, "measured");
      const modelled = dollarsPerMillion(s.usage, s.webhooks, "modelled");
      const goal = TARGET_USD[s.subscription];
      return [
        ...label(s),
        usd(measured["Lambda GB-s"]),
        usd(modelled["Lambda GB-s"]),
        usd(measured.total),
        usd(modelled.total),
        `≤ $${usd(goal)}: ${measured.total <= goal ? "yes" : "no"} / ${modelled.total <= goal ? "yes" : "no"}`,
      ];
    }),
    4,
  );

  console.log("\nWhat each webhook took (per webhook; invocations per batch show how full batches were)\n");
  printTable(
    [
      "subscription",
      "ingress",
      "traffic",
      "windows",
      "AWS calls",
      "WU",
      "RU",
      "SQS req",
      "log B",
      "λ inv",
      "router batch",
      "deliver batch",
      "p50 ms",
      "p99 ms",
    ],
    scenarios.map((s) => {
      const mapping = Object.values(s.usage.mapping).reduce((a, b) => a + b, 0);
      const router = s.usage.functions.router?.invocations ?? 0;
      const deliver = s.usage.functions.deliver?.invocations ?? 0;
      return [
        ...label(s),
        fmt(callsPerWebhook(s), 2),
        fmt(
          perWebhook(s, (f) => f.writeUnits),
          2,
        ),
        fmt(
          perWebhook(s, (f) => f.readUnits),
          2,
        ),
        fmt(perWebhook(s, (f) => f.sqsRequests) + mapping / s.webhooks, 2),
        fmt(perWebhook(s, (f) => f.logBytes)),
        fmt(
          perWebhook(s, (f) => f.invocations),
          2,
        ),
        router ? fmt(s.webhooks / router, 1) : "–",
        deliver ? fmt(s.webhooks / deliver, 1) : "–",
        fmt(percentile(s.latenciesMs, 50)),
        fmt(percentile(s.latenciesMs, 99)),
      ];
    }),
    4,
  );

  console.log("\nAWS calls by operation, per webhook (ingest, router, deliver; the mapping's polls apart)\n");
  printTable(
    ["subscription", "ingress", "traffic", "windows", "calls"],
    scenarios
      .filter((s) => s.ingress === "function-url")
      .map((s) => {
        const parts: string[] = [];
        for (const [key, f] of Object.entries(s.usage.functions))
          for (const [op, n] of Object.entries(f?.calls ?? {}))
            parts.push(`${key} ${op} ${fmt(n / s.webhooks, 2)}`);
        for (const [op, n] of Object.entries(s.usage.mapping))
          parts.push(`mapping ${op} ${fmt(n / s.webhooks, 2)}`);
        return [...label(s), parts.join(", ")];
      }),
    5,
  );
  console.log(
    "\nEach function per invocation: memory, local duration (measured), modelled duration, log bytes " +
      "(at INFO a delivered webhook logs nothing; what is left are the embedded-metric lines Powertools publishes)\n",
  );
  printTable(
    [
      "subscription",
      "ingress",
      "traffic",
      "windows",
      "function",
      "MB",
      "invocations",
      "measured ms",
      "modelled ms",
      "log B",
    ],
    scenarios
      .filter((s) => s.ingress === "function-url")
      .flatMap((s) =>
        Object.entries(s.usage.functions).map(([key, f]) => {
          const n = f?.invocations || 1;
          return [
            ...label(s),
            key,
            String(f?.memoryMb ?? 0),
            String(f?.invocations ?? 0),
            fmt((f?.billedMs ?? 0) / n, 1),
            fmt((f?.modelledMs ?? 0) / n, 1),
            fmt((f?.logBytes ?? 0) / n),
          ];
        }),
      ),
    5,
  );
  const queue = scenarios.filter((s) => s.subscription === "queue" && s.consumerRequests > 0);
  if (queue.length > 0) {
    console.log(
      "\nNot in the totals: a queue subscription's consumer pays its own receives and deletes " +
        queue
          .filter((s) => s.ingress === "function-url")
          .map(
            (s) =>
              `(${REGIME_TEXT[s.regime]}, windows ${windowsText(s)}: ${fmt(s.consumerRequests / s.webhooks, 2)} requests per webhook ≈ $${usd((s.consumerRequests / s.webhooks) * PRICES.sqsRequest.usd * 1e6)}/M)`,
          )
          .join(", "),
    );
  }

  printTargets(bench);
}

/** The targets, each against the figure measured in this run. */
function printTargets(bench: CostBench): void {
  const { scenarios } = bench;
  const find = (
    subscription: Scenario["subscription"],
    ingress: Scenario["ingress"],
    regime: Scenario["regime"],
    windows: Scenario["windows"] = "default",
  ) =>
    scenarios.find(
      (s) =>
        s.subscription === subscription &&
        s.ingress === ingress &&
        s.regime === regime &&
        s.windows === windows,
    );
  console.log("\nTargets (each against this run)");
  for (const subscription of ["http", "queue"] as const) {
    const goal = TARGET_USD[subscription];
    const parts = (["function-url", "http-api"] as const).map((ingress) => {
      const s = find(subscription, ingress, "ten-at-a-time");
      if (!s) return `${ingress}: not run`;
      const measured = dollarsPerMillion(s.usage, s.webhooks, "measured").total;
      const modelled = dollarsPerMillion(s.usage, s.webhooks, "modelled").total;
      return `${ingress} $${usd(measured)} measured / $${usd(modelled)} modelled`;
    });
    const cheapest = find(subscription, "function-url", "ten-at-a-time");
    const verdict = cheapest
      ? `measured ${dollarsPerMillion(cheapest.usage, cheapest.webhooks, "measured").total <= goal ? "met" : "missed"}, ` +
        `modelled ${dollarsPerMillion(cheapest.usage, cheapest.webhooks, "modelled").total <= goal ? "met" : "missed"}`
      : "not run";
    console.log(
      `- ${subscription} subscription, 10 at a time, per million: ${parts.join("; ")} (target ≤ $${usd(goal)} with the function URL: ${verdict})`,
    );
  }
  const deliverGb = (bench.memoryMb.deliver ?? 0) / 1024;
  const per100ms = (batch: number) => usd(((deliverGb * 0.1) / batch) * PRICES.lambdaArmGbSecond.usd * 1e6);
  console.log(
    `- a slower receiver costs deliver's duration: each 100 ms it takes to answer adds $${per100ms(10)}/M with batches ` +
      `of 10, $${per100ms(1)}/M one by one (${bench.memoryMb.deliver ?? 0} MB; a batch's POSTs go in parallel)`,
  );
  const calls = (regime: Scenario["regime"], windows: Scenario["windows"] = "default") => {
    const s = find("http", "function-url", regime, windows);
    return s ? fmt(callsPerWebhook(s), 2) : "not run";
  };
  const high = find("http", "function-url", "ten-at-a-time");
  console.log(
    `- non-poll AWS calls per webhook delivered over HTTP: 10 at a time ${calls("ten-at-a-time")} ` +
      `(target ≤ 3: ${high && callsPerWebhook(high) <= 3 ? "met" : "missed"}); one by one ${calls("one-by-one")} ` +
      `(windows 0 s: ${calls("one-by-one", "zero")}); 5/s ${calls("steady-5-per-s")} (windows 0 s: ${calls("steady-5-per-s", "zero")})`,
  );
  const p99 = (regime: Scenario["regime"], windows: Scenario["windows"] = "default") => {
    const all = scenarios
      .filter((s) => s.subscription === "http" && s.regime === regime && s.windows === windows)
      .flatMap((s) => s.latenciesMs)
      .sort((a, b) => a - b);
    return all.length > 0 ? `${fmt(percentile(all, 99))} ms (n=${all.length})` : "not run";
  };
  console.log(
    `- p99 from the sender's 202 to the receiver's 200: 10 at a time ${p99("ten-at-a-time")}; one by one ${p99("one-by-one")}, ` +
      `windows 0 s ${p99("one-by-one", "zero")}; 5/s ${p99("steady-5-per-s")}, windows 0 s ${p99("steady-5-per-s", "zero")}`,
  );
}
