import { migrateToLatest } from "../store/migrate.js";
import { readCommandLine } from "./command-line.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run db:migrate — applies pending migrations in db/migrations to DATABASE_URL (or the
// embedded database in DATA_DIR). The server also does this at every start.
readCommandLine(`
データベースの構造を最新にします（db/migrations のうち、まだ適用していないものを順に適用します）。
サーバーも起動するたびに同じことをするので、普段は実行しなくてもかまいません。

使い方:
  npm run db:migrate

オプション:
  -h, --help   この説明を表示します

対象は DATABASE_URL の Postgres、設定していなければ DATA_DIR（既定 ./.data）の内蔵データベースです。
内蔵データベースでは、先にサーバー（npm start）を Ctrl+C で止めてから実行してください。

例:
  npm run db:migrate
  DATABASE_URL=postgres://user:password@host:5432/db npm run db:migrate
`, {});
const store = await openConfiguredStore();
try {
  const applied = await migrateToLatest(store.db);
  process.stdout.write(applied.length > 0 ? `適用しました: ${applied.join(", ")}\n` : "データベースはすでに最新です。\n");
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
