import { RecentUsers } from "./recent-users.js";

// When a worker should claim a resident's next event (inbox-worker.ts). A resident's events go one
// after the other, so their next event waits for the worker holding the earlier one, which claims
// it as soon as that one committed. Told of the next event by this process's webhook or another's
// (inbox-channel.ts), the notice can come at any point of the earlier event's life here, or a
// moment before this worker's claim of it returns, or just after it ended: each case is kept.
export class NextEventWatch {
  // Told while their earlier event here is in its transaction: claim when it commits.
  readonly #waiting = new Set<string>();
  // Told while nothing of theirs was here yet (a claim of this worker may be taking it).
  readonly #toldLately = new RecentUsers();
  // Their last event here committed and its answer is being sent: a next one can be claimed.
  readonly #answering = new Set<string>();
  readonly #endedLately = new RecentUsers();

  // A later event of theirs was stored pending; `here`: an event of theirs is in flight here.
  // True: claim now.
  told(userId: string, here: boolean): boolean {
    if (this.#answering.has(userId) || (!here && this.#endedLately.has(userId))) return true;
    if (here) this.#waiting.add(userId);
    else this.#toldLately.add(userId);
    return false;
  }

  // A later event of theirs is known to wait (the claim said so).
  expect(userId: string): void {
    this.#waiting.add(userId);
  }

  started(userId: string): void {
    this.#answering.delete(userId);
  }

  // Their last event here committed. True: claim (their next one waits).
  committed(userId: string): boolean {
    this.#answering.add(userId);
    return this.#waiting.delete(userId);
  }

  // Their last event here ended, answer sent. True: claim.
  ended(userId: string): boolean {
    this.#answering.delete(userId);
    this.#endedLately.add(userId);
    return this.#waiting.delete(userId) || this.#toldLately.take(userId);
  }
}
