import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeLineApi } from "../support/fake-line-api.js";
import { spawnServer, type ServerProcess } from "../support/spawned-processes.js";
import { TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET, events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

// The server as `npm start` runs it: a separate process configured only by its environment.
describe("the server process", () => {
  let lineApi: FakeLineApi;
  let dataDir: string;
  let server: ServerProcess;
  let url: string;

  beforeAll(async () => {
    lineApi = await new FakeLineApi().start();
    dataDir = await mkdtemp(path.join(tmpdir(), "hitoyoshi-main-"));
    server = spawnServer({
      PORT: "0",
      DATA_DIR: dataDir,
      LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
      LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
      LINE_API_BASE_URL: lineApi.url,
    });
    const port = await waitFor(async () => server.output().match(/"port":(\d+)[^\n]*"bot started"|"bot started"[^\n]*"port":(\d+)/), "the start line", 60_000);
    url = `http://127.0.0.1:${port[1] ?? port[2]}`;
  });
  afterAll(async () => {
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    await lineApi.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("turns a signed text message into a schema-valid reply at LINE_API_BASE_URL", async () => {
    const event = events.text(newUserId(), "ひみつの相談内容です");
    await sendEvents(url, [event]);
    const reply = await waitFor(async () => lineApi.to("/v2/bot/message/reply")[0], "a reply");
    expect(reply.body.replyToken).toBe(event.replyToken);
    expect(lineApi.invalidBodies).toEqual([]);
  });

  it("logs JSON lines with the event id and without message text or tokens", async () => {
    const event = events.text(newUserId(), "ログに出てはいけない文章");
    await sendEvents(url, [event]);
    await waitFor(async () => server.output().includes(`"eventId":"${event.webhookEventId}"`) && server.output().includes("event handled"), "the log lines");
    const lines = server.output().split("\n").filter((line) => line.startsWith("{"));
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const about = lines.filter((line) => line.includes(event.webhookEventId));
    expect(about.length).toBeGreaterThanOrEqual(2);
    expect(server.output()).not.toContain("ログに出てはいけない文章");
    expect(server.output()).not.toContain(event.replyToken);
    expect(server.output()).not.toContain(TEST_ACCESS_TOKEN);
    expect(server.output()).not.toContain(TEST_CHANNEL_SECRET);
  });

  it("refuses to start with a bad environment, one line per variable", async () => {
    const bad = spawnServer({ PORT: "not-a-port", LINE_CHANNEL_SECRET: "only-the-secret" });
    expect(await bad.exited).toBe(1);
    const output = bad.output();
    expect(output).toMatch(/^PORT/m);
    expect(output).toMatch(/^LINE_CHANNEL_ACCESS_TOKEN: is missing/m);
    expect(output).not.toContain("only-the-secret");
  });
});
