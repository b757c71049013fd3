import path from "node:path";
import { ConfigError } from "../config.js";
import { runRichMenuDeploy } from "../richmenu/run-deploy.js";

// npm run richmenu:deploy [-- <dir>] — creates or updates the rich menus of seeds/richmenus at
// LINE (LINE_CHANNEL_ACCESS_TOKEN, LINE_API_BASE_URL, LINE_DATA_API_BASE_URL). Safe to run again:
// a run after a finished one changes nothing, and a run after a failed one finishes its work.
try {
  await runRichMenuDeploy({
    ...(process.argv[2] ? { dir: path.resolve(process.argv[2]) } : {}),
    say: (line) => process.stdout.write(`${line}\n`),
  });
} catch (error) {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`rich menu deploy stopped: ${message}\nNothing is lost: fix the cause and run npm run richmenu:deploy again.\n`);
  process.exitCode = 1;
}
