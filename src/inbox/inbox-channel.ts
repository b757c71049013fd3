import type { Logger } from "../logger.js";
import type { Notifications } from "../store/notifications.js";

// The "inbox" notification channel (src/store/notifications.ts): a webhook that stored events its
// own worker did not take tells the workers of other processes, so one of them claims at once
// instead of at its next poll (issue 12: a resident's next event waited up to 1 s).
// - `userIds`: users with events stored pending. Whoever is handling (or just handled) one of them
//   claims their next event as soon as it is free: a resident's events go one after the other, so
//   the event waits for that worker, not for any other.
// - `needsRoom`: some were left only because no worker here had room: any worker with room claims.
export const inboxChannel = "inbox";

export interface StoredElsewhere {
  // Who stored them (a process ignores its own notices: it was told directly).
  from: string;
  // null: too many to list; every worker with room claims.
  userIds: string[] | null;
  needsRoom: boolean;
}

// A notification payload is at most 8,000 bytes: LINE user ids are 33 characters.
const maxUsersListed = 150;

export function parseStoredElsewhere(payload: string): StoredElsewhere | null {
  try {
    const notice = JSON.parse(payload) as { from?: unknown; users?: unknown; room?: unknown };
    if (typeof notice.from !== "string") return null;
    const userIds = Array.isArray(notice.users) ? notice.users.filter((id): id is string => typeof id === "string") : null;
    return { from: notice.from, userIds, needsRoom: notice.room === true || userIds === null };
  } catch {
    return null;
  }
}

// Sends the notices of one process: one at a time and at most one per `minIntervalMs`, what was
// stored meanwhile going in the next. Under load one notice covers many webhook requests: a notice
// per insert cost the webhook a third of its throughput (bench:webhook, role web).
export class InboxAnnouncer {
  readonly #users = new Set<string>();
  #needsRoom = false;
  #waiting = false;
  #sending = false;

  constructor(
    private readonly notifications: Notifications,
    private readonly from: string,
    private readonly log: Logger,
    private readonly minIntervalMs = 20,
  ) {}

  // Events of these users were stored pending (null: an event without a user).
  announce(userIds: (string | null)[], needsRoom: boolean): void {
    for (const userId of userIds) if (userId !== null) this.#users.add(userId);
    this.#needsRoom ||= needsRoom || userIds.includes(null);
    this.#waiting = true;
    if (!this.#sending) void this.#send();
  }

  async #send(): Promise<void> {
    this.#sending = true;
    while (this.#waiting) {
      const started = performance.now();
      const users = [...this.#users];
      const payload = JSON.stringify({ from: this.from, users: users.length > maxUsersListed ? null : users, room: this.#needsRoom });
      this.#users.clear();
      this.#needsRoom = false;
      this.#waiting = false;
      try {
        await this.notifications.notify(inboxChannel, payload);
      } catch (error) {
        // The events are stored: other processes' polls find them.
        this.log.warn({ err: error }, "could not tell other processes of stored events; their polls will find them");
      }
      // What is stored meanwhile waits for the next notice.
      const wait = this.minIntervalMs - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.#sending = false;
  }
}
