import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { createStaffAccount } from "../staff/staff-accounts.js";
import { migrateToLatest } from "../store/migrate.js";
import { openConfiguredStore } from "./open-configured-store.js";

// npm run staff:create -- --login tanaka --name "田中 一郎" --department 商工観光課 [--role admin]
// The password is asked for (not echoed) on a terminal, or read from the first line of stdin when
// piped, so it never appears in the shell's history or the process list. The first account of a
// new install is an admin whatever --role says.
const { values } = parseArgs({
  options: {
    login: { type: "string" },
    name: { type: "string" },
    department: { type: "string" },
    role: { type: "string", default: "staff" },
  },
});

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
  if (!values.login || !values.name || !values.department) {
    throw new Error('使い方: npm run staff:create -- --login <職員ID> --name "<表示名>" --department <所属課> [--role admin|staff]');
  }
  await migrateToLatest(store.db);
  const first = (await store.db.selectFrom("staff_users").select("id").limit(1).executeTakeFirst()) === undefined;
  const role = first ? "admin" : values.role === "admin" ? "admin" : "staff";
  const password = await readPassword();
  const created = await createStaffAccount(store.db, { loginId: values.login, displayName: values.name, department: values.department, role }, password);
  process.stdout.write(`職員アカウント「${values.login}」を作成しました（${created.role === "admin" ? "管理者" : "職員"}）。/staff からログインできます。\n`);
} catch (error) {
  const message = error instanceof ZodError ? error.issues.map((issue) => issue.message).join("\n") : error instanceof Error ? error.message : String(error);
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
