import { randomBytes } from "node:crypto";
import pg from "pg";

// A database of its own per test file on the machine's Postgres, created empty (the bot migrates
// and seeds it at its first start) and dropped at the end. `pool` talks to it directly, never
// through the fault proxy, so the tests can look at the tables whatever the bot's connections go
// through. Its connections carry ADMIN_APPLICATION_NAME, so terminating the bot's backends spares them.
export const ADMIN_APPLICATION_NAME = "faults-admin";

// Where databases are created and dropped (any database of the server; trust or password auth in the URL).
const adminUrl = process.env.FAULTS_ADMIN_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface FaultDatabase {
  name: string;
  // postgres://… of this database at host:port (the proxy's address, or Postgres itself).
  urlVia(host: string, port: number): string;
  postgresHost: string;
  postgresPort: number;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createFaultDatabase(): Promise<FaultDatabase> {
  const name = `faults_${randomBytes(5).toString("hex")}`;
  await adminStatement(`create database ${name}`);
  const base = new URL(adminUrl);
  const urlVia = (host: string, port: number) => {
    const url = new URL(adminUrl);
    url.hostname = host;
    url.port = String(port);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const postgresHost = base.hostname;
  const postgresPort = Number(base.port || 5432);
  const pool = new pg.Pool({ connectionString: urlVia(postgresHost, postgresPort), max: 3, application_name: ADMIN_APPLICATION_NAME });
  // A terminated or reset connection of this pool must not end the test process.
  pool.on("error", () => {});
  return {
    name,
    urlVia,
    postgresHost,
    postgresPort,
    pool,
    async drop() {
      await pool.end().catch(() => {});
      await adminStatement(`drop database if exists ${name} with (force)`);
    },
  };
}

async function adminStatement(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: ADMIN_APPLICATION_NAME });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

// Ends every backend of the database except the tests' own, as `pg_terminate_backend` by a DBA or
// a failover would. Returns how many were ended.
export async function terminateBotBackends(database: FaultDatabase): Promise<number> {
  const { rows } = await database.pool.query<{ ended: boolean }>(
    `select pg_terminate_backend(pid) as ended from pg_stat_activity
      where datname = $1 and pid <> pg_backend_pid() and application_name <> $2`,
    [database.name, ADMIN_APPLICATION_NAME],
  );
  return rows.filter((row) => row.ended).length;
}

// Work the bot still has: inbox events not finished and answers not yet sent; and answers it gave
// up on (failed, or expired after their useful life).
export interface OpenWork {
  inboxOpen: number;
  inboxProcessing: number;
  outboxOpen: number;
  outboxSending: number;
  outboxGivenUp: number;
}

export async function openWork(database: FaultDatabase): Promise<OpenWork> {
  const { rows } = await database.pool.query<Record<keyof OpenWork, string>>(`
    select (select count(*) from inbox_events where status in ('pending', 'processing')) as "inboxOpen",
           (select count(*) from inbox_events where status = 'processing') as "inboxProcessing",
           (select count(*) from outbound_messages where status in ('pending', 'sending')) as "outboxOpen",
           (select count(*) from outbound_messages where status = 'sending') as "outboxSending",
           (select count(*) from outbound_messages where status in ('failed', 'expired')) as "outboxGivenUp"`);
  const row = rows[0]!;
  return {
    inboxOpen: Number(row.inboxOpen),
    inboxProcessing: Number(row.inboxProcessing),
    outboxOpen: Number(row.outboxOpen),
    outboxSending: Number(row.outboxSending),
    outboxGivenUp: Number(row.outboxGivenUp),
  };
}

// The event each pushed answer belongs to, by the X-Line-Retry-Key the bot sent it with.
export async function eventsOfRetryKeys(database: FaultDatabase, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const { rows } = await database.pool.query<{ key: string; event: string | null }>(
    `select retry_key::text as key, inbox_event_id as event from outbound_messages where retry_key::text = any($1::text[])`,
    [keys],
  );
  return new Map(rows.filter((row) => row.event !== null).map((row) => [row.key, row.event!]));
}
