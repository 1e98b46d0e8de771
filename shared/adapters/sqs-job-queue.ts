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
