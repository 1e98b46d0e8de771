import type { ConformanceCase } from "../contract.js";

/** JWT, Google Pub/Sub push, SendGrid. */
export const groupCCases: ConformanceCase[] = [];
