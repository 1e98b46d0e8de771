import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { osThreadName, threadCpuMs } from "../../../bench/cpu.js";

describe("per-thread CPU (the ingest bench's split of node's CPU)", () => {
  it("cuts a thread's name to the 15 bytes Linux keeps", () => {
    expect(osThreadName("bench-null-ingest")).toBe("bench-null-inge");
    expect(osThreadName("bare-server")).toBe("bare-server");
  });

  it("lists the main thread under the process id and a worker under its name", async () => {
    const worker = new Worker(
      "require('node:worker_threads').parentPort.postMessage('up'); setInterval(() => {}, 1000);",
      {
        eval: true,
        name: "cpu-test-worker-thread",
      },
    );
    try {
      await new Promise((resolve) => worker.once("message", resolve));
      const threads = threadCpuMs();
      expect(threads.get(process.pid)?.ms).toBeGreaterThanOrEqual(0);
      const named = [...threads.values()].filter((t) => t.name === osThreadName("cpu-test-worker-thread"));
      expect(named).toHaveLength(1);
      expect(named[0]?.ms).toBeGreaterThanOrEqual(0);
    } finally {
      await worker.terminate();
    }
  });
});
