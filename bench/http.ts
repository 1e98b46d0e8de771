import { Agent, request } from "node:http";

/** A keep-alive client for the load generators: exactly the headers given (fetch would add its own). */
export function httpClient(maxSockets = 64) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    post(
      url: string,
      headers: Record<string, string>,
      body: string,
    ): Promise<{ status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const bytes = Buffer.from(body);
        const req = request(
          url,
          { method: "POST", agent, headers: { ...headers, "content-length": String(bytes.length) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
            );
            res.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(bytes);
      });
    },
    close: () => agent.destroy(),
  };
}

export type HttpClient = ReturnType<typeof httpClient>;

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
