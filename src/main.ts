import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startBot } from "./bot.js";
import { DataDirInUseError } from "./store/data-dir-lock.js";
import { explainDataDirInUse } from "./cli/data-dir-in-use.js";

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
