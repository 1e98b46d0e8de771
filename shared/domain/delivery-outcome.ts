/** What the attempt log says of one delivery: a success (of it or of a resend), or its latest attempt. */
export type DeliveryOutcome = "delivered" | "retry-scheduled" | "dead-lettered";

/**
 * The outcome of one (event, subscription) from its recorded attempts, in any order: `delivered` when any
 * attempt succeeded (the routed delivery, or a resend of it), else the result of the latest attempt;
 * undefined when none was recorded. Ties in time go to the higher attempt number.
 */
export function outcomeOf(
  records: readonly { readonly result: DeliveryOutcome; readonly at: number; readonly attempt: number }[],
): DeliveryOutcome | undefined {
  let latest: (typeof records)[number] | undefined;
  for (const record of records) {
    if (record.result === "delivered") return "delivered";
    if (!latest || record.at > latest.at || (record.at === latest.at && record.attempt > latest.attempt))
      latest = record;
  }
  return latest?.result;
}
