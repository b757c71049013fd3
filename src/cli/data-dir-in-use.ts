import path from "node:path";
import type { DataDirInUseError } from "../store/data-dir-lock.js";

// What the operator reads when the embedded database's folder is held by another process: who
// holds it, that nothing was changed, and what to do (for a command, and for a second server).
export function explainDataDirInUse(error: DataDirInUseError, starting: "server" | "command"): string {
  const { owner } = error;
  const holderIsServer = path.basename(owner.script) === "main.ts";
  const holder = holderIsServer ? `サーバー（npm start、プロセス番号 ${owner.pid}）` : `別のコマンド（${owner.script}、プロセス番号 ${owner.pid}）`;
  const outcome = starting === "server" ? "サーバーを起動しませんでした（データには触れていません）" : "何も変更せずに終了しました";
  const again = starting === "server" ? "もう一度起動してください" : "もう一度このコマンドを実行してください";
  if (error.conflict === "other-host") {
    return [
      `データベースのフォルダ ${error.dataDir} は、別のコンピューターまたはコンテナー「${owner.hostname}」の${holder}が使っている可能性があるため、${outcome}。`,
      `そちらを止めてから、${again}。`,
      `そのプロセスがもう動いていないことが確かな場合に限り、${error.lockFile} を削除してから、${again}。`,
    ].join("\n");
  }
  if (error.conflict === "this-process") {
    return `データベースのフォルダ ${error.dataDir} は、このプロセスがすでに開いているため、${outcome}。`;
  }
  const whatToDo = holderIsServer
    ? starting === "server"
      ? "サーバーはすでに起動しています。そのままお使いいただくか、止めてから（npm start を実行している画面で Ctrl+C を押します）、もう一度起動してください。"
      : `サーバーを止めてから（npm start を実行している画面で Ctrl+C を押します）、${again}。`
    : `そのコマンドが終わってから、${again}。`;
  return [
    `データベースのフォルダ ${error.dataDir} は、${holder}が使用中のため、${outcome}。`,
    "内蔵データベース（PGlite）は、一度に一つのプロセスしか開けません。",
    whatToDo,
    starting === "server"
      ? "複数のプロセスで同時に動かすには、DATABASE_URL で Postgres をお使いください（README.md の Production をご覧ください）。"
      : "DATABASE_URL で Postgres を使っている場合は、サーバーを止めずに実行できます。",
  ].join("\n");
}
