import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET } from "../../support/webhook-client.js";
import { preciseNow, sleep } from "./numbers.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
// The last part of each process's output kept for the failure report.
const OUTPUT_LIMIT = 200_000;

export interface BotSettings {
  port: number;
  databaseUrl: string;
  lineApiUrl: string;
  role?: "all" | "web" | "worker";
  logLevel?: string;
  extraEnv?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

// The bot as `npm start` runs it, in a process of its own configured only by its environment.
export class BotProcess {
  readonly url: string;
  readonly exited: Promise<Exit>;
  exit: Exit | null = null;
  #output = "";
  readonly #child: ChildProcess;

  constructor(
    readonly name: string,
    readonly settings: BotSettings,
  ) {
    this.url = `http://127.0.0.1:${settings.port}`;
    this.#child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? "",
        PORT: String(settings.port),
        DATABASE_URL: settings.databaseUrl,
        LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
        LINE_API_BASE_URL: settings.lineApiUrl,
        LINE_DATA_API_BASE_URL: settings.lineApiUrl,
        APP_ROLE: settings.role ?? "all",
        LOG_LEVEL: settings.logLevel ?? "warn",
        ...settings.extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      this.#output += chunk.toString("utf8");
      if (this.#output.length > OUTPUT_LIMIT * 2) this.#output = this.#output.slice(-OUTPUT_LIMIT);
    };
    this.#child.stdout!.on("data", keep);
    this.#child.stderr!.on("data", keep);
    this.exited = new Promise((resolve) =>
      this.#child.on("exit", (code, signal) => {
        this.exit = { code, signal, at: preciseNow() };
        resolve(this.exit);
      }),
    );
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  output(): string {
    return this.#output.slice(-OUTPUT_LIMIT);
  }

  // Until /readyz answers 200 (bounded); fails at once if the process ends first.
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`${this.name} exited (code ${this.exit.code}, signal ${this.exit.signal}) before it was ready:\n${this.output()}`);
      if ((await this.readiness(1_000)).status === 200) return;
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output()}`);
  }

  async readiness(timeoutMs = 5_000): Promise<{ status: number | null; body: string }> {
    try {
      const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { status: null, body: String(error) };
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.#child.kill(signal);
  }

  // Sends the signal and waits for the exit, at most timeoutMs (then SIGKILL, so nothing outlives
  // the test); `ms` is how long the exit took.
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20_000): Promise<Exit & { ms: number; timedOut: boolean }> {
    const sent = preciseNow();
    this.signal(signal);
    const timedOut = await Promise.race([this.exited.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) this.signal("SIGKILL");
    const exit = await this.exited;
    return { ...exit, ms: exit.at - sent, timedOut };
  }
}

export async function startBot(name: string, settings: BotSettings): Promise<BotProcess> {
  const bot = new BotProcess(name, settings);
  try {
    await bot.waitReady();
  } catch (error) {
    await bot.stop("SIGKILL");
    throw error;
  }
  return bot;
}
