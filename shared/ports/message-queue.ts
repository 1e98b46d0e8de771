export interface OutboundMessage {
  readonly body: string;
  /** 0-900 seconds. */
  readonly delaySeconds?: number;
  /** String message attributes. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface MessageQueue {
  send(queueUrl: string, message: OutboundMessage): Promise<void>;
  /** Sends many; resolves with the indexes (into `messages`) that failed, empty when all went in. */
  sendBatch(queueUrl: string, messages: readonly OutboundMessage[]): Promise<readonly number[]>;
}
