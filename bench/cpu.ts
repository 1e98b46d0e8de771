import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time, for telling where a request's time goes on a shared machine (wall-clock throughput moves
 * with whatever else runs; CPU time per request much less). Linux only: elsewhere the Java side reads 0.
 */

const TICKS_PER_SECOND = 100;

/** The pid of the DynamoDB Local JVM listening on `endpoint`'s port, if it can be found. */
export function dynamoDbLocalPid(endpoint: string): number | undefined {
  const port = new URL(endpoint).port;
  try {
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
        const at = args.indexOf("-port");
        if (args[0]?.endsWith("java") && at !== -1 && args[at + 1] === port) return Number(name);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** User + system CPU milliseconds a process has used so far (0 when unknown). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU milliseconds of this node process, every thread (load generator, servers, sandboxes). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU milliseconds of one thread of this process so far, with the name the OS shows for it. */
export interface ThreadCpu {
  readonly name: string;
  readonly ms: number;
}

/**
 * User + system CPU milliseconds of every thread of this process so far, by thread id; the main
 * thread's id is the process id. A worker thread shows its `name` option, cut to 15 bytes (Linux's
 * limit). Linux only: elsewhere the map is empty.
 */
export function threadCpuMs(): Map<number, ThreadCpu> {
  const threads = new Map<number, ThreadCpu>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      threads.set(Number(tid), {
        name,
        ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
      });
    } catch {
      // ended meanwhile
    }
  }
  return threads;
}

/** The name the OS shows for a thread named `name` (Linux keeps 15 bytes). */
export const osThreadName = (name: string): string => Buffer.from(name).subarray(0, 15).toString();
