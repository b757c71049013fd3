import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { InboxEventRow } from "../store/tables/inbox.js";
import { outboundChunks, outboundStatement, type OutboundClaim, type SendableOutbound } from "../outbox/outbox.js";
import { eventDoneQuery } from "./inbox-queries.js";
import { executeStandalone } from "../store/deferred-begin.js";
import { prepared } from "../store/prepared-statements.js";
import type { HandledEvent } from "./event-handler.js";

export interface FinishedEvent {
  // Written claimed by this process: send them after commit (OutboundDispatcher.sendClaimed).
  claimed: SendableOutbound[];
  // Written pending: for the dispatcher to claim, check and send (OutboundDispatcher.deliver).
  pending: SendableOutbound[];
}

// SQLSTATE of inbox_lease_lost() (db/migrations/0012_inbox_lease_check.ts).
export const inboxLeaseLostCode = "IL001";

// The end of an event's transaction in one statement, one round trip: the handler's deferred
// writes (its conversation change), the answer into the outbox with its log rows, and the event
// marked done while this worker still holds it. Data-modifying CTEs all run; none of them touches
// a row another one does, so their order does not matter. If the worker no longer holds the
// event, the statement fails (inbox_lease_lost, SQLSTATE IL001) and none of it is written: this
// statement is often the event's only write, run without a transaction (deferred-begin.ts).
export async function finishEvent(
  trx: Kysely<Database>,
  row: InboxEventRow,
  handled: HandledEvent,
  // Where the answer goes out from this process right after commit; null: leave it to the dispatcher.
  claim: OutboundClaim | null,
): Promise<FinishedEvent> {
  const sendNow = claim !== null && !handled.recipientBlocked;
  const chunks = handled.outbound ? outboundChunks(handled.outbound, sendNow ? claim : null) : [];
  const statements = [
    ...handled.writes.map((write, index) => sql`${sql.raw(`w${index}`)} as (${write})`),
    ...chunks.map((chunk, index) => outboundStatement(trx, `o${index}`, chunk, handled.outbound!)),
    sql`done as (${eventDoneQuery(trx, row).returning("webhook_event_id")})`,
  ];
  // Each answer row's id, and whether it was written claimed ('sending') or waits ('pending') for
  // an earlier answer of the resident that is still unsent (outboundStatement).
  const ids = chunks.map((_, index) => sql`(select id || ':' || status from ${sql.raw(`o${index}`)})`);
  const { rows } = await executeStandalone(
    trx,
    prepared(sql<{ held: number; ids: string[] | null }>`
      with ${sql.join(statements)}
      select case when exists (select 1 from done) then 1 else inbox_lease_lost(${row.webhook_event_id}) end as held, ${ids.length > 0 ? sql`array[${sql.join(ids)}]::text[]` : sql`null::text[]`} as ids`.compile(trx)),
  );
  const written = (rows[0]!.ids ?? []).map((idAndStatus, index) => {
    const [id, status] = idAndStatus.split(":") as [string, string];
    return { row: { ...chunks[index]!.row, id }, claimed: status === "sending" };
  });
  return {
    claimed: written.filter((outbound) => outbound.claimed).map((outbound) => outbound.row),
    pending: written.filter((outbound) => !outbound.claimed).map((outbound) => outbound.row),
  };
}
