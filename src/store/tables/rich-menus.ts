import type { ColumnType } from "kysely";
import type { Timestamp, NullableTimestamp } from "./column-types.js";

export interface RichMenuLinksTable {
  user_id: string;
  wanted_alias: string | null;
  linked_alias: string | null;
  due_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  synced_at: NullableTimestamp;
  updated_at: Timestamp;
}
