import { expect } from "vitest";
import type { Delivery, FaultLineApi } from "./fault-line-api.js";
import { eventsOfRetryKeys, openWork, type FaultDatabase } from "./fault-database.js";
import type { Attempt, SentEvent } from "./resident-load.js";
import { percentile } from "../../support/numbers.js";
import { preciseNow, sleep } from "./numbers.js";

// What residents received, event by event. A reply belongs to the event whose reply token it
// used; a push to the event whose outbox row carried its X-Line-Retry-Key. An acked event must
// get exactly one answer (a reply and a push of the same answer are two), and one resident's
// answers must arrive in the order of their events.
export interface DeliveryReport {
  sent: number;
  acked: number;
  answered: number;
  lost: number;
  duplicated: number;
  orderBreaks: number;
  // Answers to residents that belong to no event they sent.
  unattributed: number;
  // Answers whose text is not the one their prompt gets elsewhere (a mix-up).
  wrongAnswers: number;
  invalidBodies: number;
  lostEventIds: string[];
  duplicatedEventIds: string[];
  // Milliseconds from the ack to the answer, and from the later of the ack and the resident's
  // previous answer to the answer (how long an event waited once it could go).
  answerLatencyMs: number[];
  nextEventLatencyMs: number[];
  // How each webhook attempt was answered ("200", "503", "no answer", …).
  statuses: Record<string, number>;
}

export async function deliveryReport(line: FaultLineApi, database: FaultDatabase, sent: SentEvent[]): Promise<DeliveryReport> {
  const { byEvent, unattributed } = await attribute(line, database, sent);
  const acked = sent.filter((event) => event.ackedAt !== null);
  const lost = acked.filter((event) => (byEvent.get(event.eventId) ?? []).length === 0);
  const duplicated = acked.filter((event) => (byEvent.get(event.eventId) ?? []).length > 1);
  const answerLatencyMs: number[] = [];
  const nextEventLatencyMs: number[] = [];
  let orderBreaks = 0;
  for (const events of groupBy(acked, (event) => event.userId).values()) {
    const answered = events
      .map((event) => ({ event, first: byEvent.get(event.eventId)?.[0] }))
      .filter((entry): entry is { event: SentEvent; first: Delivery } => entry.first !== undefined);
    let highest = -1;
    for (const { event } of [...answered].sort((a, b) => a.first.seq - b.first.seq)) {
      if (event.index < highest) orderBreaks += 1;
      highest = Math.max(highest, event.index);
    }
    let previousAnswerAt = 0;
    for (const { event, first } of [...answered].sort((a, b) => a.event.index - b.event.index)) {
      answerLatencyMs.push(first.at - event.ackedAt!);
      nextEventLatencyMs.push(first.at - Math.max(event.ackedAt!, previousAnswerAt));
      previousAnswerAt = first.at;
    }
  }
  const statuses = statusCounts(sent.flatMap((event) => event.attempts));
  return {
    sent: sent.length,
    acked: acked.length,
    answered: acked.length - lost.length,
    lost: lost.length,
    duplicated: duplicated.reduce((sum, event) => sum + byEvent.get(event.eventId)!.length - 1, 0),
    orderBreaks,
    unattributed: unattributed.length,
    wrongAnswers: wrongAnswers(sent, byEvent),
    invalidBodies: line.invalidBodies.length,
    lostEventIds: lost.map((event) => event.eventId),
    duplicatedEventIds: duplicated.map((event) => event.eventId),
    answerLatencyMs,
    nextEventLatencyMs,
    statuses,
  };
}

// Retry keys already looked up (an outbox row's key never changes), per database.
const knownRetryKeys = new WeakMap<FaultDatabase, Map<string, string>>();

async function attribute(line: FaultLineApi, database: FaultDatabase, sent: SentEvent[]) {
  const users = new Set(sent.map((event) => event.userId));
  const byToken = new Map(sent.map((event) => [event.replyToken, event]));
  const deliveries = line.deliveries.filter((delivery) => users.has(delivery.userId));
  const eventOfKey = knownRetryKeys.get(database) ?? new Map<string, string>();
  knownRetryKeys.set(database, eventOfKey);
  const unknown = deliveries.flatMap((delivery) => (delivery.retryKey && !eventOfKey.has(delivery.retryKey) ? [delivery.retryKey] : []));
  for (const [key, eventId] of await eventsOfRetryKeys(database, unknown)) eventOfKey.set(key, eventId);
  const ids = new Set(sent.map((event) => event.eventId));
  const byEvent = new Map<string, Delivery[]>();
  const unattributed: Delivery[] = [];
  for (const delivery of deliveries) {
    const eventId = delivery.kind === "reply" ? byToken.get(delivery.replyToken!)?.eventId : delivery.retryKey ? eventOfKey.get(delivery.retryKey) : undefined;
    if (eventId === undefined || !ids.has(eventId)) {
      unattributed.push(delivery);
      continue;
    }
    const list = byEvent.get(eventId);
    if (list) list.push(delivery);
    else byEvent.set(eventId, [delivery]);
  }
  return { byEvent, unattributed };
}

// How many webhook attempts got each status ("200", "503", "no answer", …).
export function statusCounts(attempts: Pick<Attempt, "status">[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const attempt of attempts) {
    const key = attempt.status === null ? "no answer" : String(attempt.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

// Every prompt has one answer: the text most of its answers have.
function wrongAnswers(sent: SentEvent[], byEvent: Map<string, Delivery[]>): number {
  const textOf = (delivery: Delivery) => (delivery.body.messages ?? []).map((message) => message.text ?? message.altText ?? message.type).join("\n");
  let wrong = 0;
  for (const events of groupBy(sent, (event) => event.text).values()) {
    const answers = events.flatMap((event) => (byEvent.get(event.eventId) ?? []).map(textOf));
    const counts = groupBy(answers, (text) => text);
    const usual = Math.max(0, ...[...counts.values()].map((list) => list.length));
    wrong += answers.length - usual;
  }
  return wrong;
}

// Waits (bounded) until every acked event has an answer and the bot has no open work left, then
// a quiet period for late duplicates. Stops early when nothing can change any more: no bot alive,
// or no open work left in the database while answers are missing.
export async function waitForAnswers(
  line: FaultLineApi,
  database: FaultDatabase,
  sent: SentEvent[],
  options: { timeoutMs: number; quietMs?: number; alive: () => boolean },
): Promise<{ ms: number; outcome: "drained" | "stuck" | "no bot" | "timed out" }> {
  const started = preciseNow();
  const deadline = Date.now() + options.timeoutMs;
  let idlePolls = 0;
  for (;;) {
    if (!options.alive()) return { ms: preciseNow() - started, outcome: "no bot" };
    const report = await deliveryReport(line, database, sent).catch(() => null);
    const work = await openWork(database).catch(() => null);
    const idle = work !== null && work.inboxOpen === 0 && work.outboxOpen === 0;
    idlePolls = idle ? idlePolls + 1 : 0;
    if (report && report.lost === 0 && idle) {
      const ms = preciseNow() - started;
      await sleep(options.quietMs ?? 2_000);
      return { ms, outcome: "drained" };
    }
    if (idlePolls >= 8) return { ms: preciseNow() - started, outcome: "stuck" };
    if (Date.now() > deadline) return { ms: preciseNow() - started, outcome: "timed out" };
    await sleep(250);
  }
}

export function summaryLine(test: string, report: DeliveryReport, extra: Record<string, unknown> = {}): string {
  const fields = {
    acked: report.acked,
    answered: report.answered,
    lost: report.lost,
    duplicated: report.duplicated,
    orderBreaks: report.orderBreaks,
    unattributed: report.unattributed,
    wrongAnswers: report.wrongAnswers,
    notAcked: report.sent - report.acked,
    statuses: JSON.stringify(report.statuses),
    answerP99Ms: round(percentile(report.answerLatencyMs, 99)),
    ...extra,
  };
  return `[faults] ${test}: ${Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === "number" ? round(value) : String(value)}`)
    .join(" ")}`;
}

export function printSummary(test: string, report: DeliveryReport, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${summaryLine(test, report, extra)}\n`);
}

// The promise every fault test checks: each acked event answered exactly once, in order, with
// bodies LINE accepts.
export function expectExactlyOnceInOrder(report: DeliveryReport): void {
  expect({
    lost: report.lost,
    duplicated: report.duplicated,
    orderBreaks: report.orderBreaks,
    unattributed: report.unattributed,
    wrongAnswers: report.wrongAnswers,
    invalidBodies: report.invalidBodies,
    lostEventIds: report.lostEventIds.slice(0, 5),
    duplicatedEventIds: report.duplicatedEventIds.slice(0, 5),
  }).toEqual({ lost: 0, duplicated: 0, orderBreaks: 0, unattributed: 0, wrongAnswers: 0, invalidBodies: 0, lostEventIds: [], duplicatedEventIds: [] });
  expect(report.acked, "no event was acked: the load did not reach the bot").toBeGreaterThan(0);
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

export function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : value;
}
