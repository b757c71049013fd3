import { migrateToLatest } from "../store/migrate.js";
import { loadSeeds } from "../seeds/load-seeds.js";
import { seedDatabase } from "../seeds/seed-database.js";
import { readCommandLine } from "./command-line.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run db:seed — loads seeds/ into the database. Safe to run again: the plan's KPI figures are
// brought in line with seeds/kpi.yaml; listings and surveys are added only when missing.
readCommandLine(`
seeds/ フォルダの内容（KPI の目標値、空き家バンクの物件、アンケートなど）をデータベースに読み込みます。
何度実行してもかまいません。KPI の数値は seeds/kpi.yaml のとおりに直し、物件とアンケートは
まだないものだけを追加します（管理画面で職員が変えた内容は上書きしません）。

使い方:
  npm run db:seed

オプション:
  -h, --help   この説明を表示します

対象は DATABASE_URL の Postgres、設定していなければ DATA_DIR（既定 ./.data）の内蔵データベースです。
内蔵データベースでは、先にサーバー（npm start）を Ctrl+C で止めてから実行してください。

例:
  npm run db:seed
`, {});
const store = await openConfiguredStore();
try {
  await migrateToLatest(store.db);
  const summary = await seedDatabase(store.db, await loadSeeds());
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
