import { benchAllSchemes } from "./all-schemes.js";
import { benchCost } from "./cost.js";
import { printCost } from "./cost-report.js";
import { benchDeliver } from "./deliver.js";
import { benchIngest, printIngest } from "./ingest.js";
import { benchOps, printOpsBench } from "./ops.js";
import { fmt, printTable } from "./table.js";
import {
  benchAgainstStandardWebhooksLibrary,
  benchVerifiers,
  printLibraryComparison,
  printVerifierTable,
} from "./verifiers.js";

/** `npm run bench`: every figure and its baseline, measured in this one run. */
console.log(`Benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);

console.log(
  '1. Signature verification (baseline: createHmac("sha256", <Buffer key>).update(body).digest(), same bytes)\n',
);
printVerifierTable([...(await benchVerifiers()), ...(await benchAllSchemes())]);
console.log(
  "\n1b. Standard Webhooks v1 against the standardwebhooks npm package's verify (same request, same run)\n",
);
printLibraryComparison(await benchAgainstStandardWebhooksLibrary());

console.log(
  "\n2. Ingest: three sides, same 1 KiB signed webhooks, runs interleaved (bare, null, ingest, ingest, null, bare, …)\n" +
    "   bare server: a plain node HTTP server in its own thread making one conditional PutItem of a ready-made item " +
    "of ingest's size on DynamoDB Local (the issue's baseline)\n" +
    "   null lambda: the same PutItem made by a minimal handler in the local runtime (HTTP → API Gateway v2 event → " +
    "sandbox thread → IAM guard), no verification, parsing, compression, middy or Powertools\n" +
    "   ingest: the ingest bundle in the local runtime as deployed (verify, parse, compress, one conditional " +
    "PutItem, INFO logs, metrics)\n",
);
const ingest = await benchIngest();
printIngest(ingest);

console.log(
  "\n3. Lambda bundles (the same esbuild options CDK uses; AWS SDK external, provided by the runtime)\n",
);
printTable(
  ["function", "minified bytes", "module init ms"],
  ingest.bundles.map((b) => [b.key, fmt(b.bytes), fmt(b.initMs, 1)]),
);

console.log(
  "\n4. Delivery: the deliver use case with its real adapters (SQS + DynamoDB emulators) to a local sink\n",
);
const delivery = await benchDeliver();
printTable(
  ["case", "deliveries", "per s", "p50 ms", "p99 ms"],
  [
    [
      "deliver (batch reads + POST + one batch write)",
      String(delivery.deliveries),
      fmt(delivery.perSecond),
      fmt(delivery.p50Ms, 2),
      fmt(delivery.p99Ms, 2),
    ],
    [
      "baseline: bare fetch POST of the same body",
      String(delivery.deliveries),
      fmt(delivery.baseline.perSecond),
      fmt(delivery.baseline.p50Ms, 2),
      fmt(delivery.baseline.p99Ms, 2),
    ],
  ],
);
console.log("\nAWS API calls by the deliver function per delivered webhook (SDK middleware count):");
for (const [operation, perDelivery] of Object.entries(delivery.callsPerDelivery))
  console.log(`  ${operation}: ${perDelivery}`);
console.log(
  `  total: ${Object.values(delivery.callsPerDelivery)
    .reduce((a, b) => a + b, 0)
    .toFixed(2)} ` +
    "(plus the event source mapping's ReceiveMessage and DeleteMessageBatch, one each per batch of up to 10)",
);

console.log("\n5. Cost per million webhooks, counted by the platform (the same as npm run cost)\n");
printCost(await benchCost());
console.log(
  "\n6. Ops over an archive of 10,000 events (DynamoDB Local + fauxqs): the event list and replay dry runs\n",
);
printOpsBench(await benchOps());
