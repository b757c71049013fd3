import type { Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { NewInboxEvent } from "../store/tables/inbox.js";
import { storableText } from "../line/storable-json.js";
import { isStorableTimestamp, userIdOf, type WebhookEvent } from "../line/webhook-body.js";
import { isDataError } from "../store/data-errors.js";

// Events that are stored but never handled: status `failed` from the start, with the reason in
// last_error, where staff and logs see them (issue 12: a bad event is kept, and never fails the
// other events of its body or of its group commit). The worker never claims a failed event, and
// a failed event does not hold back its user's later ones (inbox-queries.ts).

// A row for an event the webhook refused (webhook-body.ts says why). Its payload is the cleaned
// event; the columns come from it only where it has the right type, since a refused event may
// have any field swapped: its time is when it was received when its own time is not storable.
export function refusedEventRow(event: WebhookEvent, receivedAt: Date, reason: string): NewInboxEvent {
  const { type, timestamp, deliveryContext } = event as { type?: unknown; timestamp?: unknown; deliveryContext?: { isRedelivery?: unknown } };
  const userId: unknown = event.source && typeof event.source === "object" ? userIdOf(event) : null;
  return {
    webhook_event_id: event.webhookEventId,
    event_type: typeof type === "string" && type !== "" ? type : "unknown",
    user_id: typeof userId === "string" ? userId : null,
    payload: JSON.stringify(event),
    event_time: isStorableTimestamp(timestamp) ? new Date(timestamp) : receivedAt,
    is_redelivery: deliveryContext?.isRedelivery === true,
    received_at: receivedAt,
    status: "failed",
    last_error: reason,
  };
}

// The row to keep when the database refused `row` itself (a value no rule of webhook-body.ts
// foresaw, or an event given to the inbox without passing through it): what the database refused
// may be anywhere in the payload, so only the event's id and type are kept, cleaned, with the
// database's words as the reason.
export function rowRefusedByDatabase(row: NewInboxEvent, error: unknown): NewInboxEvent {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const webhookEventId = storableText(row.webhook_event_id);
  const eventType = storableText(row.event_type);
  const receivedAt = row.received_at ?? new Date();
  return {
    webhook_event_id: webhookEventId,
    event_type: eventType,
    user_id: row.user_id == null ? null : storableText(row.user_id),
    payload: JSON.stringify({ webhookEventId, type: eventType }),
    event_time: receivedAt,
    is_redelivery: row.is_redelivery ?? false,
    received_at: receivedAt,
    status: "failed",
    last_error: storableText(`the database refused the event (SQLSTATE ${String(code)}: ${String(message)}); only its id and type were kept`).slice(0, 4000),
  };
}

// Stores failed rows; one already stored (a redelivery) is left as it is.
export async function insertFailedEvents(db: Kysely<Database>, rows: NewInboxEvent[]): Promise<void> {
  await db
    .insertInto("inbox_events")
    .values(rows)
    .onConflict((conflict) => conflict.column("webhook_event_id").doNothing())
    .execute();
}

// Stores one request's rows when a statement holding them with others failed on a value: all of
// them alone first; if that fails on a value too, each event alone, and an event the database
// still refuses as rowRefusedByDatabase. Any other error (the database unreachable) is thrown:
// the request is answered with an error and LINE redelivers it.
export async function storeRowsApart(rows: NewInboxEvent[], store: (rows: NewInboxEvent[]) => Promise<unknown>): Promise<void> {
  if (rows.length > 1) {
    try {
      await store(rows);
      return;
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
  }
  for (const row of rows) {
    try {
      await store([row]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      await store([rowRefusedByDatabase(row, error)]);
    }
  }
}
