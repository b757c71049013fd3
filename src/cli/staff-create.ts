import { createInterface } from "node:readline";
import { ZodError } from "zod";
import { createStaffAccount } from "../staff/staff-accounts.js";
import { migrateToLatest } from "../store/migrate.js";
import { failWithUsage, readCommandLine } from "./command-line.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run staff:create -- --login tanaka --name "田中 一郎" --department 商工観光課 [--role admin]
// The password is asked for (not echoed) on a terminal, or read from the first line of stdin when
// piped, so it never appears in the shell's history or the process list. The first account of a
// new install is an admin whatever --role says.
const usage = `
職員アカウントを作成します（スタッフ管理画面 /staff にログインするためのアカウントです）。

使い方:
  npm run staff:create -- --login <職員ID> --name "<表示名>" --department <所属課> [--role admin|staff]

オプション:
  --login <職員ID>        ログインに使うID（半角英数字と . _ - で3〜40文字）
  --name <表示名>         画面に表示する名前（40文字まで）
  --department <所属課>   所属課（職員は自分の課の問い合わせと通報を扱います）
  --role admin|staff      admin は管理者、staff は職員（省略すると staff）。最初の1人は必ず管理者になります
  -h, --help              この説明を表示します

パスワード（12文字以上）は実行後に画面で2回入力します（表示はされません）。
パイプで渡した場合は、標準入力の1行目をパスワードとして読みます。
内蔵データベース（DATABASE_URL を設定していない場合）では、先にサーバー（npm start）を Ctrl+C で止めてから実行してください。

例:
  npm run staff:create -- --login tanaka --name "田中 一郎" --department 商工観光課
  npm run staff:create -- --login suzuki --name "鈴木 花子" --department 地域コミュニティ課 --role admin
`;
const { values } = readCommandLine(usage, {
  login: { type: "string" },
  name: { type: "string" },
  department: { type: "string" },
  role: { type: "string", default: "staff" },
});
const { login, name, department, role: requestedRole } = values;
if (!login || !name || !department) {
  const missing = (["login", "name", "department"] as const).filter((option) => !values[option]);
  failWithUsage(usage, `${missing.map((option) => `--${option}`).join("、")} を指定してください。`);
}
if (requestedRole !== "admin" && requestedRole !== "staff") failWithUsage(usage, `--role には admin か staff を指定してください（「${requestedRole}」は使えません）。`);

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) return line;
    return "";
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
      const write = (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput.bind(rl);
      (rl as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => write(text.startsWith(prompt) ? text : "");
      rl.question(prompt, (answer) => {
        rl.close();
        process.stdout.write("\n");
        resolve(answer);
      });
    });
  const first = await ask("パスワード（12文字以上）: ");
  const second = await ask("もう一度: ");
  if (first !== second) throw new Error("2回入力したパスワードが一致しません。もう一度やり直してください。");
  return first;
}

const store = await openConfiguredStore();
try {
  await migrateToLatest(store.db);
  const first = (await store.db.selectFrom("staff_users").select("id").limit(1).executeTakeFirst()) === undefined;
  const role = first ? "admin" : requestedRole;
  const password = await readPassword();
  const created = await createStaffAccount(store.db, { loginId: login, displayName: name, department, role }, password);
  process.stdout.write(`職員アカウント「${login}」を作成しました（${created.role === "admin" ? "管理者" : "職員"}）。/staff からログインできます。\n`);
} catch (error) {
  const message = error instanceof ZodError ? error.issues.map((issue) => issue.message).join("\n") : error instanceof Error ? error.message : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
