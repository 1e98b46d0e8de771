import type { JobQueue, ReplayJob } from "../ports/job-queue.js";
import type { MessageQueue } from "../ports/message-queue.js";

/** The ops jobs queue on SQS: one message per job, `{"replayId": "…"}`. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queue: MessageQueue,
    private readonly queueUrl: string,
  ) {}

  async send(job: ReplayJob): Promise<void> {
    await this.queue.send(this.queueUrl, { body: JSON.stringify({ replayId: job.replayId }) });
  }
}

/** Reads a job message's body (what the jobs queue's consumer hands to `continueReplay`). */
export function replayJobOf(body: string): ReplayJob {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error("ops job: the message body is not JSON");
  }
  const replayId = (parsed as { replayId?: unknown } | null)?.replayId;
  if (typeof replayId !== "string" || replayId === "") throw new Error("ops job: no replayId in the message");
  return { replayId };
}
