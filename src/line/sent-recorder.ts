import { sql, type Kysely } from "kysely";
import type { Database, OutboundMessageRow } from "../store/database.js";

type SentRow = Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">;

interface PendingSent {
  row: SentRow;
  method: "reply" | "push";
  httpStatus: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// Group commit for "sent" marks, the one outcome of nearly every delivery: the rows sent while an
// update is running are marked together in the next one, one round trip for many. As with a single
// row, a mark only applies while the sender still holds the row (same claimer, same attempt).
export class SentRecorder {
  readonly #pending: PendingSent[] = [];
  #running = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxRowsPerUpdate = 200,
  ) {}

  record(row: SentRow, method: "reply" | "push", httpStatus: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, method, httpStatus, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#pending.length > 0) {
      const group = this.#pending.splice(0, this.maxRowsPerUpdate);
      try {
        const values = group.map(
          ({ row, method, httpStatus }) => sql`(${row.id}::bigint, ${row.claimed_by}::text, ${row.attempts}::int, ${method}::text, ${httpStatus}::int)`,
        );
        await sql`
          update outbound_messages o
             set status = 'sent', method = v.method, last_status = v.http_status, last_error = null, sent_at = now(), lease_expires_at = null
            from (values ${sql.join(values)}) as v (id, claimed_by, attempts, method, http_status)
           where o.id = v.id and o.claimed_by = v.claimed_by and o.attempts = v.attempts`.execute(this.db);
        for (const write of group) write.resolve();
      } catch (error) {
        for (const write of group) write.reject(error);
      }
    }
    this.#running = false;
  }
}
