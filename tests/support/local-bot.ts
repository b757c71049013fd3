import { pino } from "pino";
import { startBot, type BotOverrides, type RunningBot } from "../../src/bot.js";
import { loadConfig } from "../../src/config.js";
import type { StandInInspector, StandInRequest } from "../../src/devchat/line-api-standin.js";
import { messagingRequestProblems, messagingResponseProblems } from "./line-openapi.js";

// The bot as `npm start` runs it with no environment (local mode: embedded database, the dev chat
// page, the in-process stand-in for the LINE API), here on an in-memory database with fast job
// intervals. Every request the bot sends to the stand-in, and every answer the stand-in gives, is
// checked against LINE's OpenAPI documents: `problems` must stay empty.
export async function startLocalBot(overrides: BotOverrides = {}): Promise<{ bot: RunningBot; problems: string[] }> {
  const inspector = openApiInspector();
  const config = loadConfig({ PORT: "0", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  const bot = await startBot(config, pino({ level: config.logLevel }), {
    store: { kind: "pglite" },
    host: "127.0.0.1",
    sweepIntervalMs: 50,
    noticeIntervalMs: 100,
    menuSync: { intervalMs: 50 },
    ...overrides,
    worker: { pollIntervalMs: 50, backoff: () => 50, ...overrides.worker },
    lineStandIn: { inspector, ...overrides.lineStandIn },
  });
  return { bot, problems: inspector.problems };
}

// With `requests: false`, only the answers are checked (for tests that send LINE bad requests on purpose).
export function openApiInspector(options: { requests?: boolean } = {}): StandInInspector & { problems: string[] } {
  const problems: string[] = [];
  const named = (request: StandInRequest, found: string[]) => found.map((problem) => `${request.host} ${request.method} ${request.path}: ${problem}`);
  return {
    problems,
    request(request) {
      if (options.requests === false) return [];
      const found = messagingRequestProblems({ ...request, headers: request.headers as Record<string, unknown> });
      problems.push(...named(request, found));
      return found;
    },
    response(request, status, body) {
      problems.push(...named(request, messagingResponseProblems(request.method, request.path, status, body)));
    },
  };
}
