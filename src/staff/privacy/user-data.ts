import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "../../store/database.js";

// Everything stored about one LINE user, for a resident who asks to see it or to have it erased
// (an administrator does it from the console). Photos are exported as base64.
export const LINE_USER_ID = /^U[0-9a-f]{32}$/;
// What an erased resident's follow and block events keep in place of the user ID.
export const ERASED_USER = "erased";

// 「IQ-2026-00001」 (an inquiry) or 「RP-2026-00001」 (a report), as store/conversations.ts and the
// report flow number them.
const REFERENCE_NO = /^(IQ|RP)-\d{4}-\d{5,}$/;

// Whose data a privacy search means: a LINE user ID as it is, or the resident behind a reference
// number. `notFound` says in Japanese why no one was found.
export async function findResident(db: Kysely<Database>, query: string): Promise<{ userId: string; reference: string | null } | { notFound: string }> {
  if (LINE_USER_ID.test(query)) return { userId: query, reference: null };
  const reference = query.toUpperCase();
  if (!REFERENCE_NO.test(reference)) {
    return { notFound: `「${query}」はLINEのユーザーIDでも受付番号でもありません。ユーザーIDは U で始まる33文字、受付番号は IQ-2026-00001 や RP-2026-00001 の形です。` };
  }
  const table = reference.startsWith("IQ-") ? "inquiries" : "reports";
  const row = await db.selectFrom(table).select("user_id").where("reference_no", "=", reference).executeTakeFirst();
  if (!row) return { notFound: `受付番号 ${reference} の${table === "inquiries" ? "問い合わせ" : "通報"}は見つかりません（番号の誤りか、データが削除されています）。` };
  return { userId: row.user_id, reference };
}

export async function exportUserData(db: Kysely<Database>, userId: string) {
  const [user, messages, inquiries, reports, photos, responses, signups, conversation] = await Promise.all([
    db.selectFrom("line_users").selectAll().where("user_id", "=", userId).executeTakeFirst(),
    db.selectFrom("messages").select(["direction", "message_type", "text", "payload", "intent", "created_at"]).where("user_id", "=", userId).orderBy("created_at").execute(),
    db.selectFrom("inquiries").select(["reference_no", "category", "status", "department", "subject", "details", "created_at", "closed_at"]).where("user_id", "=", userId).orderBy("created_at").execute(),
    db.selectFrom("reports").select(["id", "reference_no", "category", "status", "department", "description", "address", "latitude", "longitude", "created_at", "closed_at"]).where("user_id", "=", userId).orderBy("created_at").execute(),
    db
      .selectFrom("report_photos")
      .leftJoin("reports", "reports.id", "report_photos.report_id")
      .select(["reports.reference_no", "report_photos.content_type", "report_photos.content", "report_photos.created_at"])
      .where((eb) => eb.or([eb("reports.user_id", "=", userId), eb("report_photos.user_id", "=", userId)]))
      .execute(),
    db
      .selectFrom("survey_responses as r")
      .innerJoin("surveys as s", "s.id", "r.survey_id")
      .select(["r.id", "s.title", "r.submitted_at"])
      .where("r.user_id", "=", userId)
      .execute(),
    db
      .selectFrom("future_cafe_signups as f")
      .innerJoin("future_cafe_sessions as c", "c.id", "f.session_id")
      .select(["c.town", "c.starts_at", "f.party_size", "f.created_at", "f.cancelled_at"])
      .where("f.user_id", "=", userId)
      .execute(),
    db.selectFrom("conversations").select(["flow", "step", "data", "updated_at"]).where("user_id", "=", userId).executeTakeFirst(),
  ]);
  const [profile, richMenu, followEvents] = await Promise.all([
    db.selectFrom("resident_profiles").select(["residence", "school_district", "town", "age_band", "interests", "created_at", "updated_at"]).where("user_id", "=", userId).executeTakeFirst(),
    db.selectFrom("rich_menu_links").select(["wanted_alias", "linked_alias", "synced_at"]).where("user_id", "=", userId).executeTakeFirst(),
    db.selectFrom("line_follow_events").select(["kind", "occurred_at"]).where("user_id", "=", userId).orderBy("occurred_at").execute(),
  ]);
  const answers =
    responses.length === 0
      ? []
      : await db
          .selectFrom("survey_answers as a")
          .innerJoin("survey_questions as q", "q.id", "a.question_id")
          .select(["a.response_id", "q.prompt", "a.value"])
          .where(
            "a.response_id",
            "in",
            responses.map((response) => response.id),
          )
          .execute();
  return {
    lineUserId: userId,
    exportedAt: new Date().toISOString(),
    user: user ?? null,
    messages,
    inquiries,
    reports: reports.map(({ id: _id, ...report }) => report),
    reportPhotos: photos.map((photo) => ({ report: photo.reference_no, contentType: photo.content_type, createdAt: photo.created_at, base64: Buffer.from(photo.content).toString("base64") })),
    surveyResponses: responses.map((response) => ({
      survey: response.title,
      submittedAt: response.submitted_at,
      answers: answers.filter((answer) => answer.response_id === response.id).map((answer) => ({ question: answer.prompt, value: answer.value })),
    })),
    futureCafeSignups: signups,
    conversationDraft: conversation ?? null,
    residentProfile: profile ?? null,
    richMenu: richMenu ?? null,
    followEvents,
  };
}

// Erases the user's rows everywhere, in one transaction. Returns how many rows each table lost.
// What the KPI figures count stays counted: inquiries received are counted by month apart from the
// rows (monthly_counts, which a deletion does not lower: migration 0015), follows and blocks keep
// their events without the ID.
export async function deleteUserData(db: Kysely<Database>, userId: string): Promise<Record<string, number>> {
  return db.transaction().execute(async (trx) => {
    const counts: Record<string, number> = {};
    const count = (table: string, result: { numDeletedRows: bigint }[]) => {
      counts[table] = result.reduce((sum, row) => sum + Number(row.numDeletedRows), 0);
    };
    const reportIds = (await trx.selectFrom("reports").select("id").where("user_id", "=", userId).execute()).map((row) => row.id);
    const inquiryIds = (await trx.selectFrom("inquiries").select("id").where("user_id", "=", userId).execute()).map((row) => row.id);
    if (reportIds.length > 0) await trx.deleteFrom("case_notes").where("case_type", "=", "report").where("case_id", "in", reportIds).execute();
    if (inquiryIds.length > 0) await trx.deleteFrom("case_notes").where("case_type", "=", "inquiry").where("case_id", "in", inquiryIds).execute();
    count("report_photos", await trx.deleteFrom("report_photos").where((eb) => eb.or([eb("user_id", "=", userId), ...(reportIds.length > 0 ? [eb("report_id", "in", reportIds)] : [])])).execute());
    count("reports", await trx.deleteFrom("reports").where("user_id", "=", userId).execute());
    count("inquiries", await trx.deleteFrom("inquiries").where("user_id", "=", userId).execute());
    count("survey_responses", await trx.deleteFrom("survey_responses").where("user_id", "=", userId).execute());
    count("future_cafe_signups", await trx.deleteFrom("future_cafe_signups").where("user_id", "=", userId).execute());
    count("conversations", await trx.deleteFrom("conversations").where("user_id", "=", userId).execute());
    count("resident_profiles", await trx.deleteFrom("resident_profiles").where("user_id", "=", userId).execute());
    // A menu LINE still shows them is unlinked by the sync job, which then drops the row.
    count("rich_menu_links", await trx.deleteFrom("rich_menu_links").where("user_id", "=", userId).where("linked_alias", "is", null).execute());
    await trx.updateTable("rich_menu_links").set({ wanted_alias: null, due_at: new Date(), attempts: 0 }).where("user_id", "=", userId).execute();
    // Follows and blocks stay counted in the friends-per-day figures, without whose they were.
    await trx.updateTable("line_follow_events").set({ user_id: ERASED_USER }).where("user_id", "=", userId).execute();
    count("messages", await trx.deleteFrom("messages").where("user_id", "=", userId).execute());
    count("outbound_messages", await trx.deleteFrom("outbound_messages").where("user_id", "=", userId).where("status", "in", ["sent", "failed", "skipped", "expired"]).execute());
    // Events still waiting are kept (a resident's newest message is handled, then it can be erased again);
    // handled ones lose their payload (the message text) rather than the row that stops redelivery twice.
    await trx.updateTable("inbox_events").set({ payload: "{}", user_id: null, last_error: null }).where("user_id", "=", userId).where("status", "in", ["done", "failed"]).execute();
    count("line_users", await trx.deleteFrom("line_users").where("user_id", "=", userId).execute());
    await forgetNoticeRecipient(trx, userId);
    return counts;
  });
}

// The notices' recipient lists lose the user ID; their counts stay. A delivery in progress whose
// cursor (the last recipient planned) is this user resumes after the user ID just before it,
// which plans nobody twice: nobody is left between the two once this user is gone.
async function forgetNoticeRecipient(trx: Transaction<Database>, userId: string): Promise<void> {
  await sql`update notice_batches set recipients = array_remove(recipients, ${userId}::text)
             where recipients is not null and recipients @> array[${userId}::text]`.execute(trx);
  await sql`update notices set planned_through = coalesce((select max(user_id) from line_users where user_id < ${userId}), '')
             where planned_through = ${userId}`.execute(trx);
}
