import { sql, type Kysely } from "kysely";
import type { Database } from "../store/database.js";
import type { OutboundMessageRow } from "../store/tables/outbox.js";
import { preparedForRows } from "../store/prepared-statements.js";

type SentRow = Pick<OutboundMessageRow, "id" | "claimed_by" | "attempts">;

interface PendingSent {
  row: SentRow;
  method: "reply" | "push";
  httpStatus: number;
  // Resolves with whether the resident has a later answer waiting for this one.
  resolve: (laterWaiting: boolean) => void;
  reject: (error: unknown) => void;
}

// Group commit for "sent" marks, the one outcome of nearly every delivery: a mark waits up to
// `lingerMs` for others, and the rows sent while an update is running are marked together in the
// next one, one round trip for many (at 200 answers/s, about one update per 4–5 answers instead of
// one each). The wait holds no worker slot (the event committed before its answer was sent); a
// resident's next event waits for it, which costs nothing to someone typing. As with a single
// row, a mark only applies while the sender still holds the row (same claimer, same attempt).
// LINE has taken these answers: a mark the database cannot take now (it restarted, the connection
// dropped) is kept and written again until it can, so the answer is not sent a second time. Until
// then `delivered` tells the dispatcher not to send the row again should it claim it.
export class SentRecorder {
  readonly #pending: PendingSent[] = [];
  readonly #unmarked = new Set<string>();
  #running = false;
  #stopped = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: { maxRowsPerUpdate: number; lingerMs: number; retryMs: number } = { maxRowsPerUpdate: 200, lingerMs: 0, retryMs: 1_000 },
  ) {}

  record(row: SentRow, method: "reply" | "push", httpStatus: number): Promise<boolean> {
    this.#unmarked.add(row.id);
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, method, httpStatus, resolve, reject });
      if (this.#running) return;
      if (this.#pending.length >= this.options.maxRowsPerUpdate || this.options.lingerMs <= 0) void this.#drain();
      else this.#timer ??= setTimeout(() => void this.#drain(), this.options.lingerMs);
    });
  }

  // LINE took this row's answer, and its mark is not written yet.
  delivered(id: string): boolean {
    return this.#unmarked.has(id);
  }

  // Stops retrying marks the database does not take (shutdown): their rows stay "sending" until
  // their lease runs out, and whoever takes them then finds LINE refusing the used reply token or
  // the retry key, which counts as sent.
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#running) return;
    this.#running = true;
    while (this.#pending.length > 0) {
      const group = this.#pending.splice(0, this.options.maxRowsPerUpdate);
      try {
        const waiting = await this.#mark(group);
        for (const write of group) {
          this.#unmarked.delete(write.row.id);
          write.resolve(waiting.has(write.row.id));
        }
      } catch (error) {
        if (this.#stopped) {
          for (const write of group) write.reject(error);
          continue;
        }
        this.#pending.unshift(...group);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs));
      }
    }
    this.#running = false;
  }

  // Returns the ids of marked rows whose resident has a later answer pending.
  async #mark(group: PendingSent[]): Promise<Set<string>> {
    const values = group.map(
      ({ row, method, httpStatus }) => sql`(${row.id}::bigint, ${row.claimed_by}::text, ${row.attempts}::int, ${method}::text, ${httpStatus}::int)`,
    );
    const update = sql<{ id: string }>`
      update outbound_messages o
         set status = 'sent', method = v.method, last_status = v.http_status, last_error = null, sent_at = now(), lease_expires_at = null
        from (values ${sql.join(values)}) as v (id, claimed_by, attempts, method, http_status)
       where o.id = v.id and o.claimed_by = v.claimed_by and o.attempts = v.attempts
      returning o.id, exists (
        select 1 from outbound_messages later
         where later.user_id = o.user_id and later.id > o.id and later.status = 'pending') as waiting`.compile(this.db);
    const { rows } = await this.db.executeQuery(preparedForRows(update, group.length));
    return new Set((rows as { id: string; waiting: boolean }[]).filter((row) => row.waiting).map((row) => String(row.id)));
  }
}
