import path from "node:path";
import { ConfigError } from "../config.js";
import { runRichMenuDeploy } from "../richmenu/run-deploy.js";
import { readCommandLine } from "./command-line.js";

// npm run richmenu:deploy [-- <dir>] — creates or updates the rich menus of seeds/richmenus at
// LINE (LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL, LINE_DATA_API_BASE_URL). Safe to run again:
// a run after a finished one changes nothing, and a run after a failed one finishes its work.
const { positionals } = readCommandLine(`
リッチメニュー（LINE のトーク画面下のメニュー）を、LINE 公式アカウントに配信します。
変わったメニューだけを作り直し、画像をアップロードし、エイリアスと既定のメニューを付け替え、
古いメニューを削除します。何度実行してもかまいません（途中で失敗しても、もう一度実行すれば続きから終わらせます）。

使い方:
  npm run richmenu:deploy [-- <フォルダ>]

引数とオプション:
  <フォルダ>     メニューの YAML と画像があるフォルダ（省略すると seeds/richmenus）
  -h, --help     この説明を表示します

環境変数 LINE_CHANNEL_ACCESS_TOKEN と LINE_CHANNEL_SECRET（LINE Developers コンソールの値）が必要です。
先に npm run richmenu:render で画像を描いておいてください。

例:
  LINE_CHANNEL_ACCESS_TOKEN=... LINE_CHANNEL_SECRET=... npm run richmenu:deploy
`, {}, { maxPositionals: 1 });
try {
  await runRichMenuDeploy({
    ...(positionals[0] ? { dir: path.resolve(positionals[0]) } : {}),
    say: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`リッチメニューの配信を途中で止めました: ${message}\nここまでの作業は失われていません。原因を直してから、もう一度 npm run richmenu:deploy を実行してください。\n`);
  process.exitCode = 1;
}
