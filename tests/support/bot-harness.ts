import { pino } from "pino";
import { loadConfig } from "../../src/config.js";
import { startBot, type BotOverrides, type RunningBot } from "../../src/bot.js";
import type { StoreTarget } from "../../src/store/connect.js";
import { TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET } from "./webhook-client.js";

// Starts the real bot (config → store → migrations → seeds → server → worker) on a random port,
// talking to `lineApiUrl`, with retries fast enough for tests.
export async function startTestBot(
  store: StoreTarget,
  lineApiUrl: string,
  options: { env?: Record<string, string>; overrides?: BotOverrides } = {},
): Promise<RunningBot> {
  const config = loadConfig({
    PORT: "0",
    LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    LINE_API_BASE_URL: lineApiUrl,
    LINE_DATA_API_BASE_URL: lineApiUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...options.env,
  });
  const log = pino({ level: config.logLevel });
  return startBot(config, log, {
    store,
    host: "127.0.0.1",
    sweepIntervalMs: 50,
    ...options.overrides,
    // The cheap scrypt cost of TEST_HASH_COST (staff-client.ts), unless a test asks for another.
    login: { hashCost: { N: 2 ** 10, r: 8, p: 1 }, ...options.overrides?.login },
    worker: { pollIntervalMs: 50, backoff: () => 50, ...options.overrides?.worker },
    dispatcher: { backoff: () => 30, ...options.overrides?.dispatcher },
  });
}
