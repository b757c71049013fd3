import { ConfigError, loadConfig } from "../config.js";
import { openStore, type Store } from "../store/connect.js";
import { DataDirInUseError } from "../store/data-dir-lock.js";
import { explainDataDirInUse } from "./data-dir-in-use.js";

// The store the server would use, for the command-line tools (same variables, same defaults).
// On the embedded database a tool refuses, having changed nothing, while the server (or another
// tool) has the data directory open.
export async function openConfiguredStore(): Promise<Store> {
  try {
    const config = loadConfig();
    return await openStore(config.database.kind === "postgres" ? { kind: "postgres", url: config.database.url } : config.database);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) process.stderr.write(`${line}\n`);
      process.exit(1);
    }
    if (error instanceof DataDirInUseError) {
      process.stderr.write(`${explainDataDirInUse(error, "command")}\n`);
      process.exit(1);
    }
    throw error;
  }
}
