import path from "node:path";
import { defaultRichMenuDir } from "../richmenu/load-rich-menus.js";
import { renderMenuImages } from "../richmenu/render-images.js";
import { readCommandLine } from "./command-line.js";

// npm run richmenu:render [-- <dir>] — draws seeds/richmenus/<name>.png from each <name>.yaml.
// Commit the PNGs and their .render.json files; npm run richmenu:deploy refuses a stale image.
const { positionals } = readCommandLine(`
リッチメニュー（LINE のトーク画面下のメニュー）の画像を、YAML ファイルから描きます。
フォルダ内の <名前>.yaml ごとに <名前>.png と <名前>.render.json を作ります。両方をコミットしてください
（画像が YAML より古いと npm run richmenu:deploy は配信しません）。
Chromium が必要です（Debian なら apt-get install chromium fonts-noto-cjk、または CHROMIUM_PATH で場所を指定）。

使い方:
  npm run richmenu:render [-- <フォルダ>]

引数とオプション:
  <フォルダ>     メニューの YAML があるフォルダ（省略すると seeds/richmenus）
  -h, --help     この説明を表示します

例:
  npm run richmenu:render
  npm run richmenu:render -- other-city/richmenus
`, {}, { maxPositionals: 1 });
const dir = positionals[0] ? path.resolve(positionals[0]) : defaultRichMenuDir;
try {
  for (const image of await renderMenuImages(dir)) {
    process.stdout.write(`${image.name}: ${path.relative(process.cwd(), image.file)} (${Math.round(image.bytes / 1024)} KB)\n`);
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
