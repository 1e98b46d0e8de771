import { createHmac, createSecretKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "standardwebhooks";
import { githubVerifier } from "../shared/verify/providers/github.js";
import { standardWebhooksVerifier } from "../shared/verify/providers/standard-webhooks.js";
import { stripeVerifier } from "../shared/verify/providers/stripe.js";
import {
  formatStandardWebhookPublicKey,
  signGithub,
  signStandardWebhook,
  signStandardWebhookAsymmetric,
  signStripe,
} from "../shared/verify/sign.js";
import type { InboundRequest, ProviderVerifier } from "../shared/verify/types.js";
import { fmt, printTable } from "./table.js";

/**
 * Throughput of each verifier against raw `createHmac("sha256", key).update(body).digest()` over the
 * same body bytes, measured in the same run. The target is a ratio of at least 0.9 for every HMAC
 * verifier at 1 KiB and 64 KiB. The baseline keys `createHmac` with a `Buffer`, as naive code does;
 * the "raw HMAC, cached KeyObject" row shows what the same call costs with the key imported once (the
 * verifiers cache their keys that way), so both comparisons are on the table.
 */

export interface BenchRow {
  readonly scheme: string;
  readonly size: string;
  readonly opsPerSec: number;
  readonly baselineOpsPerSec: number;
  readonly ratio: number;
}

const SIZES = [
  { label: "1 KiB", bytes: 1024 },
  { label: "64 KiB", bytes: 64 * 1024 },
] as const;
/** Per case: verifier and baseline each get this much, interleaved in slices to cancel drift. */
const BUDGET_NS = 300_000_000n;
const SLICES = 3;
const WARMUP_NS = 50_000_000n;
const BATCH = 16;

/** Keeps results reachable so the optimiser cannot drop the measured calls. */
const sink: unknown[] = [undefined];

function run(operation: () => unknown, budgetNs: bigint): { ops: number; ns: bigint } {
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < BATCH; i++) {
      sink[0] = operation();
    }
    ops += BATCH;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budgetNs);
  return { ops, ns: elapsed };
}

/** Ops/s of `operation` and of `baseline`, warmed up, then timed in alternating slices. */
export function compare(
  operation: () => unknown,
  baseline: () => unknown,
): { opsPerSec: number; baselineOpsPerSec: number } {
  run(operation, WARMUP_NS);
  run(baseline, WARMUP_NS);
  const totals = { op: { ops: 0, ns: 0n }, base: { ops: 0, ns: 0n } };
  const slice = BUDGET_NS / BigInt(SLICES);
  for (let i = 0; i < SLICES; i++) {
    for (const [target, fn] of [
      [totals.op, operation],
      [totals.base, baseline],
    ] as const) {
      const result = run(fn, slice);
      target.ops += result.ops;
      target.ns += result.ns;
    }
  }
  const perSec = (total: { ops: number; ns: bigint }) => (total.ops * 1e9) / Number(total.ns);
  return { opsPerSec: perSec(totals.op), baselineOpsPerSec: perSec(totals.base) };
}

/** An ASCII JSON document of exactly `bytes` bytes (the standardwebhooks package needs UTF-8 text). */
export function bodyOf(bytes: number): Buffer {
  const head = '{"type":"bench.event","data":"';
  const tail = '"}';
  const filler = randomBytes(bytes)
    .toString("base64")
    .slice(0, bytes - head.length - tail.length);
  return Buffer.from(`${head}${filler}${tail}`, "ascii");
}

function verifyWith(verifier: ProviderVerifier, request: InboundRequest, secret: string, now: number) {
  const context = { secrets: [secret], nowSeconds: now, toleranceSeconds: 300 };
  return () => verifier.verify(request, context);
}

export function row(
  scheme: string,
  size: string,
  measured: { opsPerSec: number; baselineOpsPerSec: number },
): BenchRow {
  return {
    scheme,
    size,
    opsPerSec: Math.round(measured.opsPerSec),
    baselineOpsPerSec: Math.round(measured.baselineOpsPerSec),
    ratio: Math.round((measured.opsPerSec / measured.baselineOpsPerSec) * 100) / 100,
  };
}

const yieldToEventLoop = () => new Promise<void>((done) => setImmediate(done));

export async function benchVerifiers(): Promise<BenchRow[]> {
  const now = Math.floor(Date.now() / 1000);
  const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
  const hmacKey = randomBytes(24);
  const whsec = `whsec_${hmacKey.toString("base64")}`;
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const whpk = formatStandardWebhookPublicKey(publicKey);
  const utf8Secret = `whsec_${randomBytes(24).toString("hex")}`;
  const utf8Key = Buffer.from(utf8Secret, "utf8");
  const rows: BenchRow[] = [];

  for (const size of SIZES) {
    const body = bodyOf(size.bytes);
    const rawHmac = (key: Buffer) => () => createHmac("sha256", key).update(body).digest();
    const webhookHeaders = (signature: string) => ({
      "webhook-id": id,
      "webhook-timestamp": String(now),
      "webhook-signature": signature,
    });

    const cases: Array<{ scheme: string; operation: () => unknown; baseline: () => unknown }> = [
      {
        scheme: "standard-webhooks v1",
        operation: verifyWith(
          standardWebhooksVerifier,
          {
            headers: webhookHeaders(signStandardWebhook({ id, timestamp: now, body, secret: whsec })),
            rawBody: body,
          },
          whsec,
          now,
        ),
        baseline: rawHmac(hmacKey),
      },
      {
        scheme: "standard-webhooks v1a (ed25519; baseline is raw HMAC)",
        operation: verifyWith(
          standardWebhooksVerifier,
          {
            headers: webhookHeaders(signStandardWebhookAsymmetric({ id, timestamp: now, body, privateKey })),
            rawBody: body,
          },
          whpk,
          now,
        ),
        baseline: rawHmac(hmacKey),
      },
      {
        scheme: "github",
        operation: verifyWith(
          githubVerifier,
          { headers: { "x-hub-signature-256": signGithub({ body, secret: utf8Secret }) }, rawBody: body },
          utf8Secret,
          now,
        ),
        baseline: rawHmac(utf8Key),
      },
      {
        scheme: "stripe",
        operation: verifyWith(
          stripeVerifier,
          {
            headers: { "stripe-signature": signStripe({ timestamp: now, body, secret: utf8Secret }) },
            rawBody: body,
          },
          utf8Secret,
          now,
        ),
        baseline: rawHmac(utf8Key),
      },
      {
        scheme: "raw HMAC, cached KeyObject (reference)",
        operation: (() => {
          const keyObject = createSecretKey(hmacKey);
          return () => createHmac("sha256", keyObject).update(body).digest();
        })(),
        baseline: rawHmac(hmacKey),
      },
    ];
    for (const benchCase of cases) {
      benchCase.operation(); // fails loudly here if the request does not verify
      rows.push(row(benchCase.scheme, size.label, compare(benchCase.operation, benchCase.baseline)));
      await yieldToEventLoop();
    }
  }
  sink[0] = undefined;
  return rows;
}

/**
 * Our Standard Webhooks `v1` verify head to head with the `standardwebhooks` npm package's `verify`
 * (which hashes in pure JavaScript) on the same signed 1 KiB request, interleaved in the same run.
 * The target is a ratio of at least 4.
 */
export async function benchAgainstStandardWebhooksLibrary(): Promise<BenchRow> {
  const now = Math.floor(Date.now() / 1000);
  const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
  const whsec = `whsec_${randomBytes(24).toString("base64")}`;
  const body = bodyOf(1024);
  const library = new Webhook(whsec);
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(now),
    "webhook-signature": library.sign(id, new Date(now * 1000), body),
  };
  const ours = verifyWith(standardWebhooksVerifier, { headers, rawBody: body }, whsec, now);
  const theirs = () => library.verify(body, headers, { jsonParse: false });
  ours(); // both fail loudly here if the request does not verify
  theirs();
  await yieldToEventLoop();
  return row("standard-webhooks v1 vs standardwebhooks package verify", "1 KiB", compare(ours, theirs));
}

export function printVerifierTable(rows: readonly BenchRow[]): void {
  printTable(
    ["scheme", "size", "ops/s", "raw HMAC ops/s", "ratio"],
    rows.map((r) => [r.scheme, r.size, fmt(r.opsPerSec), fmt(r.baselineOpsPerSec), r.ratio.toFixed(2)]),
    2,
  );
}

export function printLibraryComparison(r: BenchRow): void {
  printTable(
    ["case", "size", "ours ops/s", "package ops/s", "ratio"],
    [[r.scheme, r.size, fmt(r.opsPerSec), fmt(r.baselineOpsPerSec), r.ratio.toFixed(2)]],
    2,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  console.log(`node ${process.version}; baseline: createHmac("sha256", <Buffer key>).update(body).digest()`);
  printVerifierTable(await benchVerifiers());
  printLibraryComparison(await benchAgainstStandardWebhooksLibrary());
}
