import { fileURLToPath } from "node:url";
import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { createOpsApi, createOpsJobs } from "../../shared/http/ops-api.js";
import { operatorRulesOf } from "../../shared/http/ops-auth.js";
import { createOpsConsole, loadConsoleFiles } from "../../shared/http/ops-console.js";
import { OPS_CONSOLE_DIR, OPS_CONSOLE_ROUTE_KEYS } from "../../shared/http/ops-routes.js";
import { queueRecordOf } from "../../shared/http/sqs-records.js";
import { createOpsWiring } from "./wiring.js";

const logger = new Logger();
const { config, useCases } = createOpsWiring();
const log = {
  info: (message: string, fields: Record<string, unknown>) => logger.info(message, fields),
  warn: (message: string, fields: Record<string, unknown>) => logger.warn(message, fields),
  error: (message: string, fields: Record<string, unknown>) => logger.error(message, fields),
};
const api = createOpsApi({
  useCases,
  rules: operatorRulesOf(config.ops?.auth),
  authKind: config.ops?.auth?.type === "iam" ? "iam" : "bearer",
  log,
});
const jobs = createOpsJobs({ useCases, log });
// The console's files sit beside this bundle (the topology's assets of the ops function).
const consoleFiles = createOpsConsole(() =>
  loadConsoleFiles(fileURLToPath(new URL(`./${OPS_CONSOLE_DIR}/`, import.meta.url))),
);
const consoleRoutes: readonly string[] = OPS_CONSOLE_ROUTE_KEYS;

type OpsEvent = APIGatewayProxyEventV2 | SQSEvent;
const isSqsEvent = (event: OpsEvent): event is SQSEvent => "Records" in event && Array.isArray(event.Records);

/**
 * One function, two doors: the ops API (`/ops/api/*` behind the authorizer, and the console's files at
 * `/ops`) and the ops jobs queue (each `{ "replayId" }` message runs the next slice of a replay; failed
 * messages go back with a partial batch response).
 */
const opsHandler = async (event: OpsEvent): Promise<APIGatewayProxyStructuredResultV2 | SQSBatchResponse> => {
  if (isSqsEvent(event)) {
    const report = await jobs(event.Records.map(queueRecordOf));
    return { batchItemFailures: report.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  }
  if (consoleRoutes.includes(event.routeKey)) return consoleFiles(event);
  return api(event);
};

export const handler = middy(opsHandler).use(injectLambdaContext(logger, { resetKeys: true }));
