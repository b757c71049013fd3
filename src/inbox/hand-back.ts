import type { Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";
import { isConnectionError } from "../store/store-errors.js";
import { releaseEvent, type ClaimedEvent } from "./inbox-queries.js";

// After the database went away while an event was being handled: hands the event back to the
// inbox, uncounted, retrying until the database takes it (bounded by the event's lease: after
// that any worker may take it). "committed": the interrupted statement was the finishing one and it
// committed after all (or another worker holds the event now): the caller looks for its answers.
export async function handBackUntilStored(
  db: Kysely<Database>,
  row: ClaimedEvent,
  stillRunning: () => boolean,
  log: Logger,
): Promise<"handed back" | "committed" | "given up"> {
  const until = new Date(row.lease_expires_at ?? Date.now()).getTime();
  for (let wait = 200; stillRunning() && Date.now() < until; wait = Math.min(wait * 2, 5_000)) {
    try {
      return (await releaseEvent(db, row)) ? "handed back" : "committed";
    } catch (error) {
      if (!isConnectionError(error)) {
        log.error({ err: error }, "could not hand an event back; its lease will expire and it will be retried");
        return "given up";
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return "given up";
}
