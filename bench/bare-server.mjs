// The ingest benchmark's baseline, in a thread of its own (as the ingest function has its sandbox): a
// bare node HTTP server that reads each request's body and makes one conditional PutItem of a ready-made
// item of the same size as ingest's, keyed by a fresh id (POST /new) or one fixed id (POST /duplicate,
// refused), and answers 202 with the id. Nothing else: no verification, no parsing, no compression.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";

const { endpoint, tableName, item, credentials, region } = workerData;
const client = new DynamoDBClient({ endpoint, region, credentials });

const server = createServer((request, response) => {
  request.on("data", () => undefined);
  request.on("end", async () => {
    const id =
      request.url === "/duplicate" ? "evt_bare_duplicate" : `evt_${randomBytes(16).toString("base64url")}`;
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...item, pk: { S: id } },
          ConditionExpression: "attribute_not_exists(pk) OR #exp < :now",
          ExpressionAttributeNames: { "#exp": "exp" },
          ExpressionAttributeValues: { ":now": { N: String(Math.floor(Date.now() / 1000)) } },
        }),
      );
      response.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ id }));
    } catch (error) {
      if (error?.name === "ConditionalCheckFailedException") {
        response
          .writeHead(202, { "content-type": "application/json" })
          .end(JSON.stringify({ id, duplicate: true }));
      } else {
        response.writeHead(500).end(String(error?.message ?? error));
      }
    }
  });
});
server.keepAliveTimeout = 5_000;
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "stop") {
    server.closeAllConnections();
    server.close(() => {
      client.destroy();
      process.exit(0);
    });
  }
});
