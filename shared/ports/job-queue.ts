/** A background job of the ops API: run the next slice of a replay. */
export interface ReplayJob {
  readonly replayId: string;
}

/** The ops jobs queue; its consumer calls `continueReplay` for each job. */
export interface JobQueue {
  send(job: ReplayJob): Promise<void>;
}
