import { RecentUsers } from "../recent-users.js";

// One lane per resident in this process: their answers go to LINE one after the other, each as
// soon as LINE has answered the previous one (not when its "sent" mark is written: a retried send
// of an answer LINE took is refused by LINE, so an unmarked answer is never delivered twice).
// A lane also remembers, for a while, that an answer of the resident went back to wait for a
// retry: an answer written claimed behind it (outbox.ts saw the earlier one still "sending" here)
// must then wait too, never overtake it.
export class SendLanes {
  readonly #lanes = new Map<string, { tail: Promise<void>; open: number }>();
  // Residents whose answer went back to wait lately. Kept longer than any statement that could
  // have read the earlier answer as "sending" before that (the statement timeout is 60 s).
  readonly #undelivered = new RecentUsers(120_000);

  // Runs `send` after the resident's earlier sends here reached LINE's answer; `send` resolves
  // `reached` once LINE answered this one, and returns when all of it (the mark) is done.
  run(userId: string, send: (reached: () => void) => Promise<void>): Promise<void> {
    const lane = this.#lanes.get(userId) ?? { tail: Promise.resolve(), open: 0 };
    this.#lanes.set(userId, lane);
    lane.open += 1;
    let reached!: () => void;
    const next = new Promise<void>((resolve) => (reached = resolve));
    const previous = lane.tail;
    lane.tail = next;
    const done = previous.then(() => send(reached));
    return done.finally(() => {
      reached();
      lane.open -= 1;
      if (lane.open === 0 && this.#lanes.get(userId) === lane) this.#lanes.delete(userId);
    });
  }

  // Something of the resident is being sent or recorded here.
  busy(userId: string): boolean {
    return this.#lanes.has(userId);
  }

  // An answer of the resident went back to wait (a retry, or released unsent).
  wentBack(userId: string): void {
    this.#undelivered.add(userId);
  }

  // The resident's earliest unsent answer reached LINE: nothing of theirs waits any more.
  caughtUp(userId: string): void {
    this.#undelivered.take(userId);
  }

  // Whether an answer written claimed behind an earlier one may have to wait for it.
  mayBeBehind(userId: string): boolean {
    return this.#undelivered.has(userId);
  }
}
