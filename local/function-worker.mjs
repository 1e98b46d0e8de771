// One Lambda "sandbox": a worker thread that imports one bundled handler (its init runs once, like a
// cold start) and runs invocations posted by the local runtime. process.env is the worker's own copy.
import { parentPort, workerData } from "node:worker_threads";

const started = performance.now();
// The local IAM check goes in before the handler loads, so no SDK call of the function escapes it.
const guarded = import(workerData.iam.guardFile).then((guard) =>
  guard.installIamGuard(workerData.iam.policy, (message) =>
    parentPort.postMessage({ type: "denied", message }),
  ),
);
const handlerPromise = guarded
  .then(() => import(workerData.file))
  .then((mod) => {
    if (typeof mod.handler !== "function") throw new Error(`${workerData.file} exports no handler`);
    return mod.handler;
  });
handlerPromise
  .then(() => parentPort.postMessage({ type: "ready", initMs: performance.now() - started }))
  .catch((error) => parentPort.postMessage({ type: "init-error", message: String(error?.stack ?? error) }));

parentPort.on("message", async ({ id, event, deadline, requestId }) => {
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
  try {
    const handler = await handlerPromise;
    const result = await handler(event, context);
    parentPort.postMessage({ type: "result", id, result });
  } catch (error) {
    parentPort.postMessage({
      type: "error",
      id,
      error: { name: error?.name ?? "Error", message: String(error?.message ?? error) },
    });
  }
});
