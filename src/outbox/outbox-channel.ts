// The "outbox" notification channel (src/store/notifications.ts): a process that wrote a
// resident's answer behind an earlier one another process is sending tells the others, so the one
// sending it sends the next as soon as it is done, instead of leaving it to the outbox sweep
// (OutboundDispatcher.noticeWaiting).
export const outboxChannel = "outbox";

// A notification payload is at most 8,000 bytes: LINE user ids are 33 characters.
const maxUsersPerNotice = 150;

export interface AnswersWaiting {
  // Who wrote them (a process ignores its own notices).
  from: string;
  userIds: string[];
}

// The payloads telling of answers of these residents waiting, one per 150 residents.
export function answersWaitingPayloads(from: string, userIds: string[]): string[] {
  const payloads: string[] = [];
  for (let start = 0; start < userIds.length; start += maxUsersPerNotice) {
    payloads.push(JSON.stringify({ from, users: userIds.slice(start, start + maxUsersPerNotice) }));
  }
  return payloads;
}

export function parseAnswersWaiting(payload: string): AnswersWaiting | null {
  try {
    const notice = JSON.parse(payload) as { from?: unknown; users?: unknown };
    if (typeof notice.from !== "string" || !Array.isArray(notice.users)) return null;
    return { from: notice.from, userIds: notice.users.filter((id): id is string => typeof id === "string") };
  } catch {
    return null;
  }
}
