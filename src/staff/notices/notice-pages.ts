import { readFileSync } from "node:fs";
import express, { type Request, type Response, type Router } from "express";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "../../store/database.js";
import { approveNotice, cancelNotice, createNotice, findNotice, listNotices, submitNotice } from "../../notices/notice-records.js";
import { audienceOf } from "../../notices/notice-claims.js";
import { noticeResults } from "../../notices/notice-results.js";
import { quotaRefusal } from "../../notices/quota.js";
import { mayCancelNotice } from "../../notices/notice-permissions.js";
import { loadSegmentOptions } from "../../notices/segment-options.js";
import { countRecipients, type Audience } from "../../notices/segments.js";
import { audit } from "../audit.js";
import { html } from "../html.js";
import { page } from "../layout.js";
import type { StaffPrincipal } from "../sessions.js";
import type { NoticeConsoleOptions } from "./notice-console-options.js";
import { composeValues, parseCompose, segmentFromQuery, type ComposeValues } from "./notice-form.js";
import { messagePreview } from "./notice-preview.js";
import { audienceSummary, composeForm, noticeDetail, noticeList, recipientCountText, resultsView } from "./notice-views.js";

// Notices in the console (issue 7): compose (text, image or a Flex template; all friends or a
// segment with a live count), ask for approval, approval by an admin who is not the author (after
// checking LINE's monthly quota), cancel before delivery starts, and the results. Every step is in
// the audit log.
const CURRENT = "/staff/notices";
const script = readFileSync(new URL("../assets/notice-compose.js", import.meta.url), "utf8");
// The console's policy, plus images from the https URLs a notice sends (for the preview) and
// requests to our own server (for the live count).
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const DONE: Record<string, string> = {
  draft: "下書きとして保存しました。",
  submitted: "承認を依頼しました。作成した方とは別の管理者が承認すると配信されます。",
  approved: "承認しました。配信を始めます。",
  scheduled: "承認しました。指定の日時に配信します。",
  cancelled: "配信を取り消しました。",
};

export function noticePages(db: Kysely<Database>, options: NoticeConsoleOptions, accountName: string, now: () => Date): Router {
  const router = express.Router();
  const site: NoticeSite = { db, options, accountName, now };

  router.get("/staff/assets/notice-compose.js", (_req, res) => {
    res.type("js").set("Cache-Control", "public, max-age=300").send(script);
  });

  router.get("/staff/notices", (req, res) => showNoticeList(site, req, res));
  router.get("/staff/api/notices/count", (req, res) => countNoticeRecipients(site, req, res));
  router.get("/staff/notices/new", (req, res) => showNewNoticeForm(site, req, res));
  router.post("/staff/notices/new", (req, res) => createNoticeFromForm(site, req, res));
  router.get("/staff/notices/:id", (req, res) => showNotice(site, req, res));
  router.post("/staff/notices/:id/submit", (req, res) => submitNoticeForApproval(site, req, res));
  router.post("/staff/notices/:id/approve", (req, res) => approveNoticeAndWake(site, req, res));
  router.post("/staff/notices/:id/cancel", (req, res) => cancelNoticeByStaff(site, req, res));
  router.get("/staff/notices/:id/results", (req, res) => showNoticeResults(site, req, res));
  return router;
}

interface NoticeSite {
  db: Kysely<Database>;
  options: NoticeConsoleOptions;
  accountName: string;
  now: () => Date;
}

async function showNoticeList(site: NoticeSite, req: Request, res: Response): Promise<void> {
  res.type("html").send(page({ title: "お知らせ配信", staff: req.staff!, current: CURRENT, body: noticeList(await listNotices(site.db)) }));
}

async function countNoticeRecipients(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const audience = segmentFromQuery(req.query as Record<string, unknown>);
  const count = await countRecipients(site.db, audience);
  res.json({ count, label: recipientCountText(count) });
}

async function showNewNoticeForm(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const values = composeValues({ type: req.query.type, template: req.query.template, when: "now", audience: "all" });
  await sendCompose(site, res, req.staff!, values, [], 200);
}

async function createNoticeFromForm(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const body = req.body as Record<string, unknown>;
  const composed = parseCompose(body, site.options.templates, site.now());
  if (!composed.ok) return sendCompose(site, res, staff, composeValues(body), composed.errors, 422);
  const id = await site.db.transaction().execute(async (trx) => {
    const created = await createNotice(trx, { ...composed, createdBy: staff.id }, site.options.publicBaseUrl);
    await audit(trx, staff, composed.submit ? "notice.submit" : "notice.draft", { type: "notice", id: created }, auditDetail(composed.audience, composed.content.kind, composed.scheduledAt));
    return created;
  });
  res.redirect(303, `/staff/notices/${id}?done=${composed.submit ? "submitted" : "draft"}`);
}

async function showNotice(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const notice = await findNotice(site.db, String(req.params.id));
  if (!notice) return notFound(res, req.staff!);
  await sendDetail(site, res, req.staff!, notice.id, { done: typeof req.query.done === "string" && Object.hasOwn(DONE, req.query.done) ? DONE[req.query.done] : undefined, errors: [] }, 200);
}

async function submitNoticeForApproval(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const notice = await findNotice(site.db, String(req.params.id));
  if (!notice) return notFound(res, staff);
  const moved = await moveNotice(site.db, staff, notice.id, "notice.submit", (trx) => submitNotice(trx, notice.id));
  if (!moved) return sendDetail(site, res, staff, notice.id, { errors: ["このお知らせは下書きではないため、承認を依頼できません。"] }, 409);
  res.redirect(303, `/staff/notices/${notice.id}?done=submitted`);
}

async function approveNoticeAndWake(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const notice = await findNotice(site.db, String(req.params.id));
  if (!notice) return notFound(res, staff);
  if (staff.role !== "admin") return sendDetail(site, res, staff, notice.id, { errors: ["承認は管理者だけができます。"] }, 403);
  if (staff.id === notice.created_by) {
    return sendDetail(site, res, staff, notice.id, { errors: ["作成した方は自分のお知らせを承認できません。別の管理者に承認を依頼してください（すべてのお知らせを2人で確認するためです）。"] }, 403);
  }
  if (notice.status !== "pending") return sendDetail(site, res, staff, notice.id, { errors: ["このお知らせは承認待ちではありません。"] }, 409);
  const recipients = await countRecipients(site.db, audienceOf(notice));
  if (recipients === 0) return sendDetail(site, res, staff, notice.id, { errors: ["配信先に当てはまる方がいません。条件を見直して、新しく作り直してください。"] }, 409);
  let refusal: string | null;
  try {
    refusal = quotaRefusal(await site.options.quota(), recipients);
  } catch (error) {
    refusal = `LINEの配信数の上限を確かめられなかったため、承認していません。しばらくしてからもう一度押してください。（${error instanceof Error ? error.message : String(error)}）`;
  }
  if (refusal) {
    await audit(site.db, staff, "notice.approve_refused", { type: "notice", id: notice.id }, { recipients, reason: "quota" });
    return sendDetail(site, res, staff, notice.id, { errors: [refusal] }, 409);
  }
  const approved = await moveNotice(site.db, staff, notice.id, "notice.approve", (trx) => approveNotice(trx, notice.id, staff.id), { recipients, scheduled_at: notice.scheduled_at });
  if (!approved) return sendDetail(site, res, staff, notice.id, { errors: ["このお知らせは承認待ちではなくなっていました（ほかの方が操作しました）。"] }, 409);
  site.options.wake();
  res.redirect(303, `/staff/notices/${notice.id}?done=${notice.scheduled_at ? "scheduled" : "approved"}`);
}

async function cancelNoticeByStaff(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const notice = await findNotice(site.db, String(req.params.id));
  if (!notice) return notFound(res, staff);
  if (!mayCancelNotice(staff, notice)) {
    return sendDetail(site, res, staff, notice.id, { errors: ["このお知らせを取り消せるのは、作成した方と管理者だけです。取り消しが必要なときは、作成した方か管理者に連絡してください。"] }, 403);
  }
  const cancelled = await moveNotice(site.db, staff, notice.id, "notice.cancel", (trx) => cancelNotice(trx, notice.id, staff.id), { from: notice.status });
  if (!cancelled) return sendDetail(site, res, staff, notice.id, { errors: ["配信がすでに始まっているため、取り消せません。"] }, 409);
  res.redirect(303, `/staff/notices/${notice.id}?done=cancelled`);
}

async function showNoticeResults(site: NoticeSite, req: Request, res: Response): Promise<void> {
  const staff = req.staff!;
  const notice = await findNotice(site.db, String(req.params.id));
  if (!notice) return notFound(res, staff);
  const body = resultsView(notice, await noticeResults(site.db, notice.id));
  res.type("html").send(page({ title: `配信結果：${notice.title}`, staff, current: CURRENT, body }));
}


async function sendCompose(site: NoticeSite, res: Response, staff: StaffPrincipal, values: ComposeValues, errors: string[], status: number) {
  const audience: Audience = values.audience === "segment" ? { kind: "segment", segment: values.segment } : { kind: "all" };
  const [segmentOptions, count] = await Promise.all([loadSegmentOptions(site.db), countRecipients(site.db, audience)]);
  const body = composeForm({ staff, values, templates: site.options.templates, options: segmentOptions, count, errors, linksCounted: site.options.publicBaseUrl !== null });
  res.status(status).set("Content-Security-Policy", PAGE_CSP).type("html").send(page({ title: "お知らせを作る", staff, current: CURRENT, body }));
}

async function sendDetail(site: NoticeSite, res: Response, staff: StaffPrincipal, id: string, messages: { done?: string; errors: string[] }, status: number) {
  const notice = (await findNotice(site.db, id))!;
  const people = await site.db.selectFrom("staff_users").select(["id", "display_name"]).where("id", "in", [notice.created_by, notice.approved_by ?? notice.created_by]).execute();
  const name = (staffId: string | null) => people.find((person) => person.id === staffId)?.display_name ?? null;
  const audience = audienceOf(notice);
  const [segmentOptions, count] = await Promise.all([loadSegmentOptions(site.db), countRecipients(site.db, audience)]);
  const body = noticeDetail({
    staff,
    notice,
    author: name(notice.created_by) ?? "—",
    approver: name(notice.approved_by),
    audience: audienceSummary(audience, segmentOptions),
    count,
    preview: messagePreview(notice.messages, site.accountName),
    messages,
  });
  res.status(status).set("Content-Security-Policy", PAGE_CSP).type("html").send(page({ title: notice.title, staff, current: CURRENT, body }));
}

// Moves a notice on (submit, approve, cancel) and writes the audit row in the same transaction;
// false: the notice was not in a state to move (someone else moved it first).
function moveNotice(
  db: Kysely<Database>,
  staff: StaffPrincipal,
  noticeId: string,
  action: string,
  move: (trx: Transaction<Database>) => Promise<boolean>,
  detail?: Record<string, unknown>,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const done = await move(trx);
    if (done) await audit(trx, staff, action, { type: "notice", id: noticeId }, detail);
    return done;
  });
}

function auditDetail(audience: Audience, kind: string, scheduledAt: Date | null): Record<string, unknown> {
  // Which conditions, not who: no personal data in the log.
  return { kind, audience: audience.kind, ...(audience.kind === "segment" ? { segment: audience.segment } : {}), scheduled_at: scheduledAt };
}

function notFound(res: Response, staff: StaffPrincipal): void {
  res.status(404).type("html").send(page({ title: "見つかりません", staff, current: CURRENT, body: html`<p>このお知らせは見つかりません。</p><p><a href="/staff/notices">一覧へ戻る</a></p>` }));
}

