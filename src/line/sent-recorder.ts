import { sql, type Kysely } from "kysely";
import type { Database, OutboundMessageRow } from "../store/database.js";
import { preparedForRows } from "../store/prepared-statements.js";

type SentRow = Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">;

interface PendingSent {
  row: SentRow;
  method: "reply" | "push";
  httpStatus: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

// Group commit for "sent" marks, the one outcome of nearly every delivery: a mark waits up to
// `lingerMs` for others, and the rows sent while an update is running are marked together in the
// next one, one round trip for many (at 200 answers/s, about one update per 4–5 answers instead of
// one each). The wait holds no worker slot (the event committed before its answer was sent); a
// resident's next event waits for it, which costs nothing to someone typing. As with a single
// row, a mark only applies while the sender still holds the row (same claimer, same attempt).
export class SentRecorder {
  readonly #pending: PendingSent[] = [];
  #running = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { maxRowsPerUpdate: number; lingerMs: number } = { maxRowsPerUpdate: 200, lingerMs: 20 },
  ) {}

  record(row: SentRow, method: "reply" | "push", httpStatus: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, method, httpStatus, resolve, reject });
      if (this.#running) return;
      if (this.#pending.length >= this.options.maxRowsPerUpdate || this.options.lingerMs <= 0) void this.#drain();
      else this.#timer ??= setTimeout(() => void this.#drain(), this.options.lingerMs);
    });
  }

  async #drain(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#running) return;
    this.#running = true;
    while (this.#pending.length > 0) {
      const group = this.#pending.splice(0, this.options.maxRowsPerUpdate);
      try {
        const values = group.map(
          ({ row, method, httpStatus }) => sql`(${row.id}::bigint, ${row.claimed_by}::text, ${row.attempts}::int, ${method}::text, ${httpStatus}::int)`,
        );
        const update = sql`
          update outbound_messages o
             set status = 'sent', method = v.method, last_status = v.http_status, last_error = null, sent_at = now(), lease_expires_at = null
            from (values ${sql.join(values)}) as v (id, claimed_by, attempts, method, http_status)
           where o.id = v.id and o.claimed_by = v.claimed_by and o.attempts = v.attempts`.compile(this.db);
        await this.db.executeQuery(preparedForRows(update, group.length));
        for (const write of group) write.resolve();
      } catch (error) {
        for (const write of group) write.reject(error);
      }
    }
    this.#running = false;
  }
}
