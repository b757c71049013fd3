import type { ColumnType } from "kysely";

// Column types shared by the table families. Timestamps are read back as Date and may be written as Date or ISO string.
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
// Postgres `numeric` comes back from both drivers as a string; we never lose precision on the way in.
export type Numeric = ColumnType<string, number | string, number | string>;
export type NullableNumeric = ColumnType<string | null, number | string | null | undefined, number | string | null>;
export type BigId = ColumnType<string, never, never>;
