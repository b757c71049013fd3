import type { Logger } from "../logger.js";

// Runs `sweep` every intervalMs, never two at once, until stopped. The outbox sweep picks up
// messages waiting for a retry and ones a crashed process had claimed.
export class Sweeper {
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sweep: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly what = "outbox sweep",
  ) {}

  start(): void {
    if (this.#timer) return;
    const tick = () => {
      this.#current = this.sweep()
        .catch((error) => this.log.error({ err: error }, `${this.what} failed; will try again`))
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.#timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#current;
  }
}
