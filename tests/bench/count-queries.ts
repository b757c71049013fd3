import { writeFileSync } from "node:fs";
import pg from "pg";

// Preloaded into the bot by bench:webhook (node --import): counts the statements the bot sends to
// Postgres, each one a round trip (node-postgres sends one query at a time per connection). On
// SIGUSR2 the count so far is written to BENCH_QUERY_COUNT_FILE, so the bench can read it before
// and after its measured window without any code for it in the bot.
const file = process.env.BENCH_QUERY_COUNT_FILE;
if (file) {
  let queries = 0;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    queries += 1;
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  process.on("SIGUSR2", () => writeFileSync(file, String(queries)));
}
