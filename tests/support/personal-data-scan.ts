import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/store/database.js";

// Where in the whole database each needle still sits: every column of every table of the schema
// (from information_schema, not a list kept by hand, so a column added later is scanned too).
// Text, JSON, arrays and numbers are matched in their text form; bytea by its bytes; search data
// (tsvector) by whether it still holds every bigram of the needle, i.e. whether a search would find it.
export async function columnsHolding(db: Kysely<Database>, needles: readonly string[]): Promise<Record<string, string[]>> {
  const { rows: columns } = await sql<{ table: string; column: string; type: string }>`
    select c.table_name as "table", c.column_name as "column", c.udt_name as type
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
     where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
     order by c.table_name, c.ordinal_position`.execute(db);
  const byTable = new Map<string, { column: string; type: string }[]>();
  for (const { table, column, type } of columns) byTable.set(table, [...(byTable.get(table) ?? []), { column, type }]);
  const found: Record<string, string[]> = Object.fromEntries(needles.map((needle) => [needle, []]));
  for (const [table, tableColumns] of byTable) {
    const probes = tableColumns.flatMap(({ column, type }) => needles.map((needle) => ({ column, needle, match: matchOf(column, type, needle) })));
    const counts = sql.join(probes.map((probe, index) => sql`count(*) filter (where ${probe.match})::int as ${sql.raw(`p${index}`)}`));
    const { rows } = await sql<Record<string, number>>`select ${counts} from ${sql.table(table)}`.execute(db);
    probes.forEach((probe, index) => {
      if (rows[0]![`p${index}`]! > 0) found[probe.needle]!.push(`${table}.${probe.column}`);
    });
  }
  return found;
}

function matchOf(column: string, type: string, needle: string) {
  const ref = sql.ref(column);
  if (type === "bytea") return sql<boolean>`position(convert_to(${needle}, 'UTF8') in ${ref}) > 0`;
  if (type === "tsvector") return sql<boolean>`${ref} @@ text_bigram_query(${needle})`;
  return sql<boolean>`position(${needle} in ${ref}::text) > 0`;
}
