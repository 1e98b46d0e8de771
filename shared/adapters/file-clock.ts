import { readFileSync } from "node:fs";
import type { Clock } from "../ports/clock.js";

/**
 * A clock a test drives: `now()` is the epoch ms written in a file. Only the local runtime sets
 * `WEBHOOKS_CLOCK_FILE` (tests that run a day-long retry schedule in seconds); a deployed stack never
 * does, and then the system clock is used.
 */
export function fileClock(path: string): Clock {
  return {
    now: () => {
      const value = Number(readFileSync(path, "utf8").trim());
      if (!Number.isFinite(value)) throw new Error(`${path} does not hold epoch milliseconds`);
      return value;
    },
  };
}
