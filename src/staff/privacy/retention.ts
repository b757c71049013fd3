import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { anonymizeClosedInquiries, anonymizeClosedReports } from "./case-retention.js";
import { deleteOldMessages, deleteOldOutbound, rebuildCaseSearch } from "./message-retention.js";
import {
  dropAbandonedDrafts,
  dropPastCafeSignups,
  dropProfilesOfBlockers,
  emptyHandledInboxEvents,
  forgetFollowers,
  forgetNoticeRecipients,
  removeSurveyFreeText,
} from "./record-retention.js";
import { inBatches } from "./retention-batches.js";

// The retention job (run with the other scheduled jobs, src/bot.ts): every place personal data
// sits, and how long it stays (README, "Personal data"). `retentionDays` is
// PERSONAL_DATA_RETENTION_DAYS; the short periods below are for data only the delivery needs.
// Each kind goes in batches of RETENTION_BATCH rows, each its own statement or transaction, at
// most MAX_BATCHES per kind and run: a backlog (the first run on an old database) is worked off
// over the following runs without one long transaction on a city-scale table.
export const INBOX_PAYLOAD_DAYS = 30;
export const NOTICE_RECIPIENTS_DAYS = 30;
// An abandoned draft (a form half filled in) lives a day after it expired.
export const DRAFT_DAYS = 1;
const MAX_BATCHES = 20;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionCounts {
  inquiries: number;
  reports: number;
  messages: number;
  outboundMessages: number;
  inboxPayloads: number;
  noticeRecipientLists: number;
  surveyFreeText: number;
  drafts: number;
  cafeSignups: number;
  followEvents: number;
  profiles: number;
}

export async function applyRetention(db: Kysely<Database>, retentionDays: number, now: Date): Promise<RetentionCounts> {
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const cutoff = daysAgo(retentionDays);
  // Cases first: whether a message is kept depends on its resident's cases still kept whole.
  const inquiries = await inBatches(() => anonymizeClosedInquiries(db, cutoff, now), MAX_BATCHES);
  const reports = await inBatches(() => anonymizeClosedReports(db, cutoff, now), MAX_BATCHES);
  const writers = new Set<string>();
  const messages = await inBatches(async () => {
    const { deleted, writers: these } = await deleteOldMessages(db, cutoff);
    for (const writer of these) writers.add(writer);
    return deleted;
  }, MAX_BATCHES);
  await rebuildCaseSearch(db, [...writers]);
  return {
    inquiries,
    reports,
    messages,
    outboundMessages: await inBatches(() => deleteOldOutbound(db, cutoff), MAX_BATCHES),
    inboxPayloads: await inBatches(() => emptyHandledInboxEvents(db, daysAgo(INBOX_PAYLOAD_DAYS)), MAX_BATCHES),
    noticeRecipientLists: await inBatches(() => forgetNoticeRecipients(db, daysAgo(NOTICE_RECIPIENTS_DAYS)), MAX_BATCHES),
    surveyFreeText: await inBatches(() => removeSurveyFreeText(db, cutoff, now), MAX_BATCHES),
    drafts: await inBatches(() => dropAbandonedDrafts(db, daysAgo(DRAFT_DAYS)), MAX_BATCHES),
    cafeSignups: await inBatches(() => dropPastCafeSignups(db, cutoff), MAX_BATCHES),
    followEvents: await inBatches(() => forgetFollowers(db, cutoff), MAX_BATCHES),
    profiles: await inBatches(() => dropProfilesOfBlockers(db, cutoff), MAX_BATCHES),
  };
}
