import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** What the sink answered. */
  readonly status: number;
}

/** A real HTTP receiver on 127.0.0.1 whose answer per path the test chooses. */
export interface HttpSink {
  readonly url: string;
  readonly received: ReceivedRequest[];
  receivedOn(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpSink(
  respond: (path: string) => { status: number; headers?: Record<string, string>; delayMs?: number } = () => ({
    status: 200,
  }),
): Promise<HttpSink> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const path = request.url ?? "/";
      const answer = respond(path);
      received.push({
        method: request.method ?? "",
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status: answer.status,
      });
      const reply = () => response.writeHead(answer.status, answer.headers ?? {}).end();
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    receivedOn: (path) => received.filter((r) => r.path === path),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

/** Polls `check` until it returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
  describe: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms ${describe()}`.trim());
    await new Promise((r) => setTimeout(r, 100));
  }
}
