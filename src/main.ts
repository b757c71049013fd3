import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startBot } from "./bot.js";
import { DataDirInUseError } from "./store/data-dir-lock.js";
import { explainDataDirInUse } from "./cli/data-dir-in-use.js";
import { setFlagsFromString } from "node:v8";

// A larger young generation for the garbage collector: every webhook request allocates its body,
// parsed events and rows, all short-lived, and with V8's default (16 MiB semi-spaces) collecting
// them took 12-15% of the webhook's main thread under load. At 64 MiB the web role acks 5-15% more
// events per second (bench:webhook, three interleaved runs: 70-80% of the bare handler at 16 MiB,
// 76-85% at 64). It costs memory only under load: V8 grows the space as it needs it, up to
// 3 x 64 MiB. Set before anything is allocated in bulk; an explicit
// --max-semi-space-size in NODE_OPTIONS or on the command line wins.
const youngGenerationFlag = "--max-semi-space-size";
if (![...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((option) => option.startsWith(youngGenerationFlag))) {
  setFlagsFromString(`${youngGenerationFlag}=64`);
}

// start-up: config → store → migrations → server → worker. Stops cleanly on SIGTERM/SIGINT:
// no new requests, in-flight events finished, then the database closed.
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) process.stderr.write(`${line}\n`);
      process.stderr.write("The bot did not start: fix the variables above (see README.md, Production).\n");
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  // A promise nobody awaited that failed (a stray database or network error) is a bug to fix, not
  // a reason to stop answering residents: Node would otherwise end the process.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled promise rejection (a bug: please report it); the bot keeps running"));
  if (config.localMode) {
    log.info(
      { chat: `http://localhost:${config.port}/dev/chat` },
      "local mode: LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are not set; chat with the bot in the browser",
    );
  }
  if (config.database.kind === "pglite" && config.role !== "all") {
    log.warn("APP_ROLE has no effect on the embedded database: one process does everything; set DATABASE_URL to split roles");
  }
  const bot = await startBot(config.database.kind === "pglite" ? { ...config, role: "all" } : config, log);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      log.error("shutdown took longer than 15 s; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    bot.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, "error while shutting down");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error) => {
  if (error instanceof DataDirInUseError) {
    process.stderr.write(`${explainDataDirInUse(error, "server")}\n`);
    process.exit(1);
  }
  process.stderr.write(`The bot could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
