import { ConfigError, loadConfig } from "../config.js";
import { openStore, type Store } from "../store/connect.js";

// The store the server would use, for the command-line tools (same variables, same defaults).
export async function openConfiguredStore(): Promise<Store> {
  try {
    const config = loadConfig();
    return await openStore(config.database.kind === "postgres" ? { kind: "postgres", url: config.database.url } : config.database);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.lines) process.stderr.write(`${line}\n`);
      process.exit(1);
    }
    throw error;
  }
}
