// One Lambda "sandbox": a worker thread that imports one bundled handler (its init runs once, like a
// cold start) and runs invocations posted by the local runtime. process.env is the worker's own copy.
import { parentPort, workerData } from "node:worker_threads";

const post = (message) => parentPort.postMessage(message);
const started = performance.now();

// Metering (benchmarks) rides on the messages the sandbox sends anyway: what an invocation used goes
// with its result, and anything else (module init, a write between invocations) at the end of the turn.
// A message per AWS call or log write would cost the sandbox a thread wake-up each.
let metered = [];
let flushScheduled = false;
const drainMeter = () => {
  const entries = metered;
  metered = [];
  return entries;
};
const flushMeter = () => {
  flushScheduled = false;
  if (metered.length > 0) post({ type: "meter", entries: drainMeter() });
};
const meter = (entry) => {
  metered.push(entry);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushMeter);
  }
};
/** A result or error, with what the sandbox metered since its last message. */
const postWithMeter = (message) => post(metered.length > 0 ? { ...message, meter: drainMeter() } : message);

// The sandbox's AWS calls pass the function's IAM grants, are metered (benchmarks), and may carry an
// injected fault (the crash-safety suite); all of it goes in before the handler loads.
const guardLoaded = import(workerData.iam.guardFile);
const guarded = guardLoaded.then((guard) =>
  guard.installIamGuard({
    policy: workerData.iam.policy,
    onDenied: (message) => post({ type: "denied", message }),
    ...(workerData.meter ? { onUsage: (usage) => meter({ type: "usage", usage }) } : {}),
    // A crash: the thread ends here; the runtime fails what was in flight and starts a new sandbox. What
    // it metered and the steps of the invocation that crashed go first (a message posted before exit
    // arrives before it), as AWS bills the calls a crash follows.
    crash: (id, steps) => {
      flushMeter();
      post({ type: "crashed", id, steps });
      process.exit(70);
    },
  }),
);
if (workerData.meter) {
  // CloudWatch bills every byte a function logs: count what this sandbox writes.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      meter({ type: "log-bytes", bytes: Buffer.byteLength(chunk) });
      return write(chunk, ...rest);
    };
  }
}
const handlerPromise = guarded
  .then(() => import(workerData.file))
  .then((mod) => {
    if (typeof mod.handler !== "function") throw new Error(`${workerData.file} exports no handler`);
    return mod.handler;
  });
handlerPromise
  .then(() => post({ type: "ready", initMs: performance.now() - started }))
  .catch((error) => post({ type: "init-error", message: String(error?.stack ?? error) }));

parentPort.on("message", async ({ id, event, deadline, requestId, fault }) => {
  const context = {
    functionName: workerData.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${workerData.functionName}`,
    memoryLimitInMB: String(workerData.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: "local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  const guard = await guardLoaded;
  const failed = (error, steps) =>
    postWithMeter({
      type: "error",
      id,
      steps,
      error: { name: error?.name ?? "Error", message: String(error?.message ?? error) },
    });
  try {
    const handler = await handlerPromise;
    const ran = await guard.runInvocation(id, fault, () => handler(event, context));
    if (ran.ok) postWithMeter({ type: "result", id, result: ran.result, steps: ran.steps });
    else failed(ran.error, ran.steps);
  } catch (error) {
    failed(error, []);
  }
});
