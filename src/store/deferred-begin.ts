import { CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type Transaction, type TransactionSettings } from "kysely";
import type { Database } from "./database.js";

// Transactions whose BEGIN is sent only when a statement needs it. Most resident events write
// everything in one statement at their end (finish-event.ts): for them BEGIN and COMMIT are two of
// about five round trips to the database, and a single statement is atomic on its own. A
// `deferredTransaction` sends BEGIN just before its first statement that is not run with
// `executeStandalone`; if none comes, it sends neither BEGIN nor COMMIT and each of its
// statements committed by itself. Everywhere else transactions behave as usual.
// A caller relying on this must make every statement it runs standalone safe to commit alone:
// one run before the others should only read (it is not undone if they fail), and the last one
// must fail, not commit, when its work is no longer wanted.

// Marks, not async context: AsyncLocalStorage would put a hook on every promise of the process,
// which costs more than the round trips saved.
// The statement that tells a connection to defer the next BEGIN (never sent to the database).
const deferNextBegin = CompiledQuery.raw("-- defer the next begin");
const standaloneQueries = new WeakSet<CompiledQuery>();

// Runs `work` in a transaction whose BEGIN waits for a statement that is not standalone.
export function deferredTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await connection.executeQuery(deferNextBegin);
    return connection.transaction().execute(work);
  });
}

// Runs one statement without sending a deferred BEGIN: committed on its own if the transaction
// has not begun, inside it if it has.
export function executeStandalone<R>(db: Kysely<Database>, compiled: CompiledQuery<R>): Promise<QueryResult<R>> {
  standaloneQueries.add(compiled);
  return db.executeQuery(compiled);
}

export function deferringDialect(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new DeferringDriver(dialect.createDriver()),
    createIntrospector: (db: Parameters<Dialect["createIntrospector"]>[0]) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}

class DeferringConnection implements DatabaseConnection {
  // The next transaction begun on this connection is deferred.
  deferNext = false;
  // BEGIN held back, with the settings it is to be sent with.
  pending: TransactionSettings | null = null;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly driver: Driver,
  ) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (compiled === deferNextBegin) {
      this.deferNext = true;
      return { rows: [] };
    }
    await this.#beginIfDue(compiled);
    return this.inner.executeQuery<R>(compiled);
  }

  async *streamQuery<R>(compiled: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    await this.#beginIfDue(compiled);
    yield* this.inner.streamQuery<R>(compiled, chunkSize);
  }

  async #beginIfDue(compiled: CompiledQuery): Promise<void> {
    if (this.pending === null || standaloneQueries.has(compiled)) return;
    const settings = this.pending;
    this.pending = null;
    await this.driver.beginTransaction(this.inner, settings);
  }
}

class DeferringDriver implements Driver {
  readonly #connections = new WeakMap<DatabaseConnection, DeferringConnection>();

  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapped = this.#connections.get(connection);
    if (!wrapped) {
      wrapped = new DeferringConnection(connection, this.inner);
      this.#connections.set(connection, wrapped);
    }
    return wrapped;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const wrapped = connection as DeferringConnection;
    if (wrapped.deferNext) {
      wrapped.deferNext = false;
      wrapped.pending = settings;
      return;
    }
    await this.inner.beginTransaction(wrapped.inner, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#end(connection as DeferringConnection, (inner) => this.inner.commitTransaction(inner));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#end(connection as DeferringConnection, (inner) => this.inner.rollbackTransaction(inner));
  }

  // A transaction whose BEGIN was never sent ends without a word to the database.
  async #end(wrapped: DeferringConnection, end: (inner: DatabaseConnection) => Promise<void>): Promise<void> {
    if (wrapped.pending !== null) {
      wrapped.pending = null;
      return;
    }
    await end(wrapped.inner);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const wrapped = connection as DeferringConnection;
    wrapped.pending = null;
    wrapped.deferNext = false;
    await this.inner.releaseConnection(wrapped.inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
