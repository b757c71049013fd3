import pg from "pg";
import { sql, type Kysely } from "kysely";
import type { Database } from "./database.js";
import { prepared } from "./prepared-statements.js";

// Tells processes on the same database that something changed, so they act at once instead of at
// their next poll: Postgres LISTEN/NOTIFY (https://www.postgresql.org/docs/current/sql-notify.html).
// Channels are scoped to the schema the store works in, so tenants or test schemas sharing one
// database never hear each other. A notification is a hint, never the data: it can be lost (the
// listening connection broke, the process was down), so a subscriber keeps a slower poll of its
// own, and is told (`missed`) when it should look at once because notifications may have gone by.
// On Postgres one dedicated connection per process listens, opened at the first subscription and
// opened again, with backoff, whenever it breaks (a restart, a failover, pg_terminate_backend).
// PGlite is one process: the same statements run in its single session, which hears its own NOTIFY.

export type NotificationHandler = (payload: string) => void;

export interface SubscribeOptions {
  // Notifications may have been missed (the listening connection was lost and is back).
  missed?: () => void;
}

export interface Notifications {
  // Calls `handler` with each payload notified on `channel` by any process on this database and
  // schema, this one included. Resolves once the channel is listened to, or once a first attempt
  // to listen failed (it is then retried in the background, and `missed` called when it succeeds),
  // to a function that ends this subscription.
  // Synchronous and short, a handler runs as the notification arrives; one that throws does not
  // keep the others from hearing it.
  subscribe(channel: string, handler: NotificationHandler, options?: SubscribeOptions): Promise<() => Promise<void>>;
  // Sends `payload` (at most 7,999 bytes) on `channel`. Run on a transaction, it is sent at its
  // commit, and never if it rolls back; on the store itself, at once.
  notify(channel: string, payload: string, db?: Kysely<Database>): Promise<void>;
  close(): Promise<void>;
}

// The connection that listens: LISTEN and UNLISTEN by full channel name, and what it hears.
export interface ListeningSession {
  open(events: { heard: (channel: string, payload: string) => void; reopened: () => void }): void;
  listen(channel: string): Promise<void>;
  unlisten(channel: string): Promise<void>;
  close(): Promise<void>;
}

interface Subscriber {
  handler: NotificationHandler;
  missed?: () => void;
}

const channelPattern = /^[a-z][a-z0-9_]*$/;
// Postgres truncates longer identifiers (NAMEDATALEN - 1), and pg_notify refuses them.
const maxChannelBytes = 63;
const maxPayloadBytes = 7_999;

export class StoreNotifications implements Notifications {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  #prefix: Promise<string> | null = null;
  #opened = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly session: ListeningSession,
  ) {}

  async subscribe(channel: string, handler: NotificationHandler, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    const name = await this.#fullName(channel);
    const subscriber: Subscriber = { handler, ...options };
    let subscribers = this.#subscribers.get(name);
    const first = subscribers === undefined;
    if (!subscribers) this.#subscribers.set(name, (subscribers = new Set()));
    subscribers.add(subscriber);
    this.#open();
    if (first) await this.session.listen(name).catch(() => {});
    return async () => {
      const current = this.#subscribers.get(name);
      if (!current?.delete(subscriber) || current.size > 0) return;
      this.#subscribers.delete(name);
      await this.session.unlisten(name).catch(() => {});
    };
  }

  async notify(channel: string, payload: string, db: Kysely<Database> = this.db): Promise<void> {
    checkChannel(channel);
    if (Buffer.byteLength(payload) > maxPayloadBytes) throw new Error(`notification payload on "${channel}" is ${Buffer.byteLength(payload)} bytes; Postgres takes at most ${maxPayloadBytes}: send an id and let the subscriber read the rest`);
    await db.executeQuery(prepared(sql`select pg_notify(current_schema() || ':' || ${channel}::text, ${payload}::text)`.compile(db)));
  }

  async close(): Promise<void> {
    this.#subscribers.clear();
    await this.session.close();
  }

  #open(): void {
    if (this.#opened) return;
    this.#opened = true;
    this.session.open({
      heard: (name, payload) => {
        for (const subscriber of this.#subscribers.get(name) ?? []) {
          try {
            subscriber.handler(payload);
          } catch {
            // A subscriber's failure is its own; the others still hear the notification.
          }
        }
      },
      reopened: () => {
        for (const subscribers of this.#subscribers.values()) for (const subscriber of subscribers) subscriber.missed?.();
      },
    });
  }

  async #schema(): Promise<string> {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(this.db);
    return rows[0]!.schema;
  }

  async #fullName(channel: string): Promise<string> {
    checkChannel(channel);
    this.#prefix ??= this.#schema().catch((error: unknown) => {
      this.#prefix = null;
      throw error;
    });
    const name = `${await this.#prefix}:${channel}`;
    if (Buffer.byteLength(name) > maxChannelBytes) throw new Error(`notification channel "${name}" is longer than Postgres allows (${maxChannelBytes} bytes): use a shorter channel or schema name`);
    return name;
  }
}

function checkChannel(channel: string): void {
  if (!channelPattern.test(channel)) throw new Error(`notification channel "${channel}" must be lower-case letters, digits and _ (e.g. "inbox")`);
}

// Postgres: a connection of its own (not from the pool: a pooled connection is handed to other
// work, and LISTEN belongs to the session), reopened with backoff while the process runs.
export class PostgresListeningSession implements ListeningSession {
  #client: pg.Client | null = null;
  #connecting: Promise<pg.Client> | null = null;
  #events: { heard: (channel: string, payload: string) => void; reopened: () => void } | null = null;
  readonly #channels = new Set<string>();
  #closed = false;
  #retryMs = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #checkTimer: NodeJS.Timeout | null = null;
  #everConnected = false;

  constructor(
    private readonly config: pg.ClientConfig,
    // Told of each connection that broke, or could not be opened.
    private readonly onError: (error: Error) => void = () => {},
    private readonly timing = { firstRetryMs: 100, maxRetryMs: 5_000, checkEveryMs: 30_000 },
  ) {}

  open(events: { heard: (channel: string, payload: string) => void; reopened: () => void }): void {
    this.#events = events;
    // A connection whose server vanished without a reset (no FIN, no RST) hears nothing: a
    // statement now and then finds out, and the connection is opened again.
    this.#checkTimer = setInterval(() => {
      const client = this.#client;
      if (!client) return;
      const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the listening connection did not answer within 5 s")), 5_000).unref());
      Promise.race([client.query("select 1"), late]).catch((error: Error) => this.#lost(client, error));
    }, this.timing.checkEveryMs);
    this.#checkTimer.unref();
  }

  async listen(channel: string): Promise<void> {
    this.#channels.add(channel);
    const client = await this.#connected();
    await client.query(`listen ${client.escapeIdentifier(channel)}`);
  }

  async unlisten(channel: string): Promise<void> {
    this.#channels.delete(channel);
    const client = this.#client;
    if (client) await client.query(`unlisten ${client.escapeIdentifier(channel)}`);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#checkTimer) clearInterval(this.#checkTimer);
    // A connection being opened is ended by #connect when it sees the session closed.
    const client = this.#client;
    this.#client = null;
    // A server that vanished never answers the goodbye: the process does not wait for it.
    if (client) await Promise.race([client.end().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  }

  #connected(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    if (this.#closed) return Promise.reject(new Error("notifications are closed"));
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    // Unheard, an 'error' on a broken connection would end the process (Node's rule).
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("the listening connection ended")));
    client.on("notification", (message) => this.#events?.heard(message.channel, message.payload ?? ""));
    try {
      await client.connect();
      for (const channel of this.#channels) await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      // Not awaited: ending a connection that never opened can wait forever.
      client.removeAllListeners("end");
      client.end().catch(() => {});
      this.#scheduleRetry(error as Error);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      throw new Error("notifications are closed");
    }
    this.#client = client;
    this.#retryMs = 0;
    if (this.#everConnected) this.#events?.reopened();
    this.#everConnected = true;
    return client;
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#client !== client) return;
    this.#client = null;
    client.removeAllListeners("end");
    client.end().catch(() => {});
    this.#scheduleRetry(error);
  }

  #scheduleRetry(error: Error): void {
    if (this.#closed) return;
    this.onError(error);
    if (this.#retryTimer || this.#channels.size === 0) return;
    this.#retryMs = Math.min(this.timing.maxRetryMs, this.#retryMs === 0 ? this.timing.firstRetryMs : this.#retryMs * 2);
    // Reopened even if nothing waits for it: missed notifications are then reported at once.
    this.#everConnected = true;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connected().catch(() => {});
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}

// PGlite: its one session listens; statements go through the store's queue (the dialect hands the
// session to one user at a time), so LISTEN never lands inside someone else's transaction.
export class PGliteListeningSession implements ListeningSession {
  #stop: (() => void) | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly onNotification: (callback: (channel: string, payload: string) => void) => () => void,
  ) {}

  open(events: { heard: (channel: string, payload: string) => void; reopened: () => void }): void {
    this.#stop = this.onNotification(events.heard);
  }

  async listen(channel: string): Promise<void> {
    await sql`listen ${sql.id(channel)}`.execute(this.db);
  }

  async unlisten(channel: string): Promise<void> {
    await sql`unlisten ${sql.id(channel)}`.execute(this.db);
  }

  async close(): Promise<void> {
    this.#stop?.();
    this.#stop = null;
  }
}
