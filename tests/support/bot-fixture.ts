import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import type { RunningBot } from "../../src/bot.js";
import { startTestBot } from "./bot-harness.js";
import { FakeLineApi } from "./fake-line-api.js";
import type { TestDatabase } from "./test-store.js";

// For a describe block: a fresh database (with a data directory, so a "restarted" PGlite process
// sees what the first one stored) and a fake LINE API per test; bots started with `start` are
// stopped after it, and every body the bot sent must have been valid for LINE.
export function botFixture(database: TestDatabase) {
  let target: Awaited<ReturnType<TestDatabase["create"]>>["target"];
  let drop: () => Promise<void>;
  let dataDir: string;
  const bots: RunningBot[] = [];
  const fixture = {
    lineApi: undefined as unknown as FakeLineApi,
    async start(options: Parameters<typeof startTestBot>[2] = {}): Promise<RunningBot> {
      const bot = await startTestBot(target, fixture.lineApi.url, options);
      bots.push(bot);
      return bot;
    },
    async stop(bot: RunningBot): Promise<void> {
      bots.splice(bots.indexOf(bot), 1);
      await bot.stop();
    },
  };
  beforeEach(async () => {
    fixture.lineApi = await new FakeLineApi().start();
    dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-test-"));
    const created = await database.create({ dataDir });
    target = created.target;
    drop = created.drop;
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.stop();
    await fixture.lineApi.stop();
    await drop();
    await rm(dataDir, { recursive: true, force: true });
    expect(fixture.lineApi.invalidBodies).toEqual([]);
  });
  return fixture;
}

// For a describe block whose tests share one bot (each uses ids and users of its own: starting a
// bot costs seconds): a fresh database and fake LINE API for the block; every body the bot sent
// must have been valid for LINE.
export function sharedBotFixture(database: TestDatabase) {
  let drop: () => Promise<void>;
  const shared = { bot: undefined as unknown as RunningBot, lineApi: undefined as unknown as FakeLineApi };
  beforeAll(async () => {
    shared.lineApi = await new FakeLineApi().start();
    const created = await database.create();
    drop = created.drop;
    shared.bot = await startTestBot(created.target, shared.lineApi.url);
  });
  afterAll(async () => {
    await shared.bot.stop();
    await shared.lineApi.stop();
    await drop();
    expect(shared.lineApi.invalidBodies).toEqual([]);
  });
  return shared;
}
