import { describe, expect, it } from "vitest";
import { ConfigError, LOCAL_CHANNEL_SECRET, loadConfig } from "../../src/config.js";

const errorLines = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
  throw new Error("expected the configuration to be rejected");
};

describe("config", () => {
  it("starts in local mode on the embedded database with no environment at all", () => {
    const config = loadConfig({});
    expect(config.localMode).toBe(true);
    expect(config.devChat).toBe(true);
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ kind: "pglite", dataDir: "./.data" });
    expect(config.line.channelSecret).toBe(LOCAL_CHANNEL_SECRET);
    expect(config.line.apiBaseUrl).toBe("https://api.line.me");
    expect(config.line.dataApiBaseUrl).toBe("https://api-data.line.me");
    expect(config.line.apiBaseUrlIsExplicit).toBe(false);
  });

  it("uses Postgres and the LINE channel when they are configured", () => {
    const config = loadConfig({
      PORT: "8080",
      DATABASE_URL: "postgres://bot@db:5432/hitoyoshi",
      LINE_CHANNEL_SECRET: "s",
      LINE_CHANNEL_ACCESS_TOKEN: "t",
      LINE_API_BASE_URL: "http://127.0.0.1:9999/",
    });
    expect(config.localMode).toBe(false);
    expect(config.devChat).toBe(false);
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://bot@db:5432/hitoyoshi" });
    expect(config.line.apiBaseUrl).toBe("http://127.0.0.1:9999");
    expect(config.line.apiBaseUrlIsExplicit).toBe(true);
  });

  it("serves the dev chat with real credentials only when DEV_CHAT=1", () => {
    expect(loadConfig({ LINE_CHANNEL_SECRET: "s", LINE_CHANNEL_ACCESS_TOKEN: "t", DEV_CHAT: "1" }).devChat).toBe(true);
  });

  it("says what to do when only one LINE credential is set", () => {
    expect(errorLines({ LINE_CHANNEL_ACCESS_TOKEN: "t" })).toEqual([
      "LINE_CHANNEL_SECRET: is missing: set it, or unset LINE_CHANNEL_ACCESS_TOKEN too to run in local mode",
    ]);
    expect(errorLines({ LINE_CHANNEL_SECRET: "s" })[0]).toMatch(/^LINE_CHANNEL_ACCESS_TOKEN: is missing/);
  });

  it("refuses local mode in production", () => {
    const lines = errorLines({ NODE_ENV: "production" });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^LINE_CHANNEL_SECRET: is missing: NODE_ENV=production/);
  });

  it("gives one line per bad variable and never echoes a value", () => {
    const lines = errorLines({ PORT: "eighty", DATABASE_URL: "mysql://secret-password@x/y", LINE_API_BASE_URL: "ftp://x", APP_ROLE: "boss" });
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => line.split(" ")[0]!.replace(/:$/, "")).sort()).toEqual(["APP_ROLE", "DATABASE_URL", "LINE_API_BASE_URL", "PORT"]);
    expect(lines.join("\n")).not.toContain("secret-password");
    expect(lines.find((line) => line.startsWith("DATABASE_URL"))).toMatch(/postgres:\/\//);
    expect(lines.find((line) => line.startsWith("APP_ROLE"))).toMatch(/all, web, worker/);
  });
});
