import { RecentUsers } from "../recent-users.js";

// When a worker should claim a resident's next event (inbox-worker.ts). A resident's events go one
// after the other, so their next event waits for the worker holding the earlier one, which claims
// it as soon as that one committed. Told of the next event by this process's webhook or another's
// (inbox-channel.ts), the notice can come while the earlier event is in its transaction here, a
// moment before this worker's claim of it returns, or just after it committed: each case is kept.
export class NextEventWatch {
  // Told while their earlier event here is in its transaction: claim when it commits.
  readonly #waiting = new Set<string>();
  // Told while nothing of theirs was here yet (a claim of this worker may be taking it).
  readonly #toldLately = new RecentUsers();
  // Their last event here committed lately.
  readonly #endedLately = new RecentUsers();

  // A later event of theirs was stored pending; `here`: an event of theirs is in its transaction
  // here. True: claim now.
  told(userId: string, here: boolean): boolean {
    if (!here && this.#endedLately.has(userId)) return true;
    if (here) this.#waiting.add(userId);
    else this.#toldLately.add(userId);
    return false;
  }

  // A later event of theirs is known to wait (the claim said so).
  expect(userId: string): void {
    this.#waiting.add(userId);
  }

  // Their last event here committed (or ended without committing). True: claim (their next one waits).
  ended(userId: string): boolean {
    this.#endedLately.add(userId);
    return this.#waiting.delete(userId) || this.#toldLately.take(userId);
  }
}
