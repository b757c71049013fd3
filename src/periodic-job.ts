import type { Logger } from "./logger.js";

// Runs `sweep` every intervalMs, never two at once, until stopped: the outbox sweep (messages
// waiting for a retry and ones a crashed process had claimed), notice delivery, the scheduled jobs
// and the rich menu sync (all wired in bot.ts). A basic timer, so it sits with the basics.
export class PeriodicJob {
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<unknown> = Promise.resolve();
  #running = false;
  #wakeAfterRun = false;

  constructor(
    private readonly sweep: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly what = "outbox sweep",
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#tick(), this.intervalMs);
  }

  // Runs the sweep now rather than at the next interval (after the current one, if one is running).
  wake(): void {
    if (!this.#timer) return;
    if (this.#running) {
      this.#wakeAfterRun = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), 0);
  }

  #tick(): void {
    this.#running = true;
    this.#current = this.sweep()
      .catch((error) => this.log.error({ err: error }, `${this.what} failed; will try again`))
      .finally(() => {
        this.#running = false;
        const delay = this.#wakeAfterRun ? 0 : this.intervalMs;
        this.#wakeAfterRun = false;
        if (this.#timer) this.#timer = setTimeout(() => this.#tick(), delay);
      });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
  }
}
