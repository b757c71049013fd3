import { freePort } from "../../bench/free-port.js";
import { onTestFailed } from "vitest";
import { BotProcess, startBot, type BotSettings } from "./bot-process.js";
import { createFaultDatabase, type FaultDatabase } from "./fault-database.js";
import { FaultLineApi } from "./fault-line-api.js";
import { PgProxy } from "./pg-proxy.js";
import { deliveryReport, printSummary, waitForAnswers, type DeliveryReport } from "./delivery-checks.js";
import type { SentEvent } from "./resident-load.js";

// The fault suite runs with `npm run test:faults` (vitest.faults.config.ts sets FAULT_TESTS=1):
// it needs the machine's Postgres and takes minutes, so `npm test` skips it.
export const faultSuiteEnabled = process.env.FAULT_TESTS === "1";

// Everything one fault test drives: a database of its own, the TCP proxy the bots reach it
// through, the fake LINE API, and the bot processes.
export class FaultRig {
  readonly bots: BotProcess[] = [];

  private constructor(
    readonly database: FaultDatabase,
    readonly proxy: PgProxy,
    readonly line: FaultLineApi,
  ) {}

  static async start(options: { lineSeed?: number } = {}): Promise<FaultRig> {
    const database = await createFaultDatabase();
    const proxy = await new PgProxy(database.postgresHost, database.postgresPort).start();
    const line = await new FaultLineApi(options.lineSeed).start();
    return new FaultRig(database, proxy, line);
  }

  // What the bots get as DATABASE_URL: the proxy unless told to reach Postgres directly.
  databaseUrl(direct = false): string {
    return direct ? this.database.urlVia(this.database.postgresHost, this.database.postgresPort) : this.database.urlVia("127.0.0.1", this.proxy.port);
  }

  async startBot(name: string, settings: Partial<BotSettings> = {}): Promise<BotProcess> {
    const bot = await startBot(name, {
      port: settings.port ?? (await freePort()),
      databaseUrl: settings.databaseUrl ?? this.databaseUrl(),
      lineApiUrl: this.line.url,
      ...settings,
    });
    this.bots.push(bot);
    return bot;
  }

  // A new process with the same settings (same port) after the old one ended.
  async restart(bot: BotProcess, name = `${bot.name}'`): Promise<BotProcess> {
    if (bot.alive) throw new Error(`${bot.name} is still running`);
    return this.startBot(name, bot.settings);
  }

  // Waits (bounded) for the answers of the acked events, prints the test's summary line (with how
  // the fake LINE API answered the sends) and returns the report.
  async drainAndReport(
    test: string,
    sent: SentEvent[],
    options: { timeoutMs: number; quietMs?: number; extra?: Record<string, unknown> },
  ): Promise<DeliveryReport & { drain: Awaited<ReturnType<typeof waitForAnswers>> }> {
    const drain = await waitForAnswers(this.line, this.database, sent, { timeoutMs: options.timeoutMs, quietMs: options.quietMs, alive: () => this.anyAlive() });
    const report = await deliveryReport(this.line, this.database, sent);
    const bots = this.bots.map((bot) => `${bot.name}:${bot.alive ? "alive" : `exit(${bot.exit?.code ?? bot.exit?.signal})`}`).join(",");
    const lineSends = JSON.stringify(Object.fromEntries(this.line.outcomes));
    printSummary(test, report, { drain: drain.outcome, drainS: drain.ms / 1000, bots, lineSends, ...options.extra });
    return { ...report, drain };
  }

  anyAlive(): boolean {
    return this.bots.some((bot) => bot.alive);
  }

  output(): string {
    return this.bots.map((bot) => `----- ${bot.name} (pid ${bot.pid}, exit ${JSON.stringify(bot.exit)}) -----\n${bot.output()}`).join("\n");
  }

  // Prints the bots' output when the current test fails.
  printOutputOnFailure(): void {
    onTestFailed(() => {
      process.stdout.write(`${this.output()}\n`);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.bots.filter((bot) => bot.alive).map((bot) => bot.stop("SIGKILL")));
    await this.line.stop();
    await this.proxy.stop();
    await this.database.drop();
  }
}

// A positive number from an environment variable (durations, limits, seeds a run may want to change).
export function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
