import type { DynamoDBStreamEvent } from "aws-lambda";
import { fromItem } from "../adapters/event-item.js";
import type { AcceptedRecord } from "../use-cases/route-events.js";

/**
 * The event table's stream records as the router reads them: each new image decoded into the event it
 * holds (Lambda hands binary attributes over base64-encoded). A record whose item cannot be read is kept,
 * with the reason, so the router can set it aside rather than lose it.
 */
export function acceptedRecordsOf(event: DynamoDBStreamEvent): AcceptedRecord[] {
  return event.Records.map((record) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? "";
    const image = record.dynamodb?.NewImage;
    const eventId = record.dynamodb?.Keys?.pk?.S;
    if (!image) return { sequenceNumber, event: { invalid: "the stream record has no new image", eventId } };
    try {
      return { sequenceNumber, event: fromItem(image as Parameters<typeof fromItem>[0]) };
    } catch (error) {
      return {
        sequenceNumber,
        event: { invalid: `unreadable event item: ${(error as Error).message}`, eventId },
      };
    }
  });
}
