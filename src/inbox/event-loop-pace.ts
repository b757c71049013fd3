import { performance, type EventLoopUtilization } from "node:perf_hooks";

// How many events the worker may handle at once, from how late this process's event loop runs.
// The worker shares the loop with the webhook (APP_ROLE=all): when both want more CPU than there
// is, every webhook request waits behind event handling, and LINE times out waiting for its 200
// (issue 12: ack p99 2 s at 1,000 events/s). The webhook must win: its events are stored and
// answered later, while an ack that comes too late makes LINE deliver the event again. So when the
// loop lags, the worker takes fewer events (at least one: it never stops), and the webhook stores
// events for any worker instead of claiming them here; when the loop is quick again, the worker
// takes more, one slot at a time, and drains what was stored meanwhile.
// A late timer alone is not a busy loop: on a machine whose cores other processes keep busy (the
// database, a second bot), this process waits for a core with its loop idle, and fewer events here
// would only leave the backlog growing. So lag counts only while the loop was busy most of the
// time (event loop utilization, https://nodejs.org/api/perf_hooks.html#performanceeventlooputilizationutilization1-utilization2).

export interface PaceOptions {
  // Lag above which the worker halves its slots, and below which it takes one more.
  highLagMs: number;
  lowLagMs: number;
  // How often the loop's lag is sampled, and over how many samples a decision is made.
  sampleMs: number;
  samplesPerDecision: number;
  // How long the loop counts as congested after it last lagged.
  congestedForMs: number;
  // Share of the time the loop must have been busy for its lag to count.
  busyShare: number;
}

export const defaultPaceOptions = (): PaceOptions => ({
  highLagMs: 20,
  lowLagMs: 5,
  sampleMs: 10,
  samplesPerDecision: 5,
  congestedForMs: 500,
  busyShare: 0.75,
});

// The decision, pure: halve on a high lag (down to one), one more on a low one (up to `max`).
export function nextSlots(current: number, lagMs: number, max: number, options: Pick<PaceOptions, "highLagMs" | "lowLagMs">): number {
  if (lagMs > options.highLagMs) return Math.max(1, Math.floor(current / 2));
  if (lagMs < options.lowLagMs) return Math.min(max, current + 1);
  return Math.min(max, current);
}

export class EventLoopPace {
  #slots: number;
  #timer: NodeJS.Timeout | null = null;
  #expectedAt = 0;
  #worstLagMs = 0;
  #samples = 0;
  #congestedUntil = 0;
  #utilization: EventLoopUtilization | null = null;

  constructor(
    private readonly max: number,
    private readonly options: PaceOptions = defaultPaceOptions(),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#slots = max;
  }

  // Slots the worker may use now.
  get slots(): number {
    return this.#slots;
  }

  // The loop lagged lately: the webhook should not claim events for this worker.
  get congested(): boolean {
    return this.now() < this.#congestedUntil;
  }

  start(): void {
    if (this.#timer) return;
    this.#utilization = performance.eventLoopUtilization();
    this.#expectedAt = this.now() + this.options.sampleMs;
    this.#timer = setTimeout(() => this.#sample(), this.options.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  // A timer's lateness is how long anything queued on the loop (a webhook request) waits.
  #sample(): void {
    const now = this.now();
    const lagMs = Math.max(0, now - this.#expectedAt);
    // Busy share since the last decision (only looked at when it may count).
    const since = this.#utilization;
    const busy = since && (lagMs > this.options.highLagMs || this.#samples + 1 >= this.options.samplesPerDecision) ? performance.eventLoopUtilization(since).utilization : 1;
    if (this.record(lagMs, busy)) this.#utilization = performance.eventLoopUtilization();
    this.#expectedAt = now + this.options.sampleMs;
    this.#timer = setTimeout(() => this.#sample(), this.options.sampleMs);
    this.#timer.unref();
  }

  // One lag sample, with the share of the time the loop was busy since the last decision (exposed
  // for tests). Returns whether it made a decision (a new window starts).
  record(lagMs: number, busyShare = 1): boolean {
    // Late while mostly idle: the process waited for a core, its own loop was not in the way.
    const counted = busyShare >= this.options.busyShare ? lagMs : Math.min(lagMs, this.options.lowLagMs);
    this.#worstLagMs = Math.max(this.#worstLagMs, counted);
    this.#samples += 1;
    // A high lag is acted on at once; a low one only after a whole window of them.
    if (counted <= this.options.highLagMs && this.#samples < this.options.samplesPerDecision) return false;
    if (this.#worstLagMs > this.options.highLagMs) this.#congestedUntil = this.now() + this.options.congestedForMs;
    this.#slots = nextSlots(this.#slots, this.#worstLagMs, this.max, this.options);
    this.#worstLagMs = 0;
    this.#samples = 0;
    return true;
  }
}
