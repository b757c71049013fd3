import express, { type Request, type Response, type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import type { CaseStatus } from "../../store/tables/cases.js";
import { html } from "../html.js";
import { page } from "../layout.js";
import { STATUS_LABELS } from "../labels.js";
import type { StaffPrincipal } from "../sessions.js";
import { caseInboxPage } from "./case-inbox-page.js";
import type { CaseKind, CaseRecord } from "./case-kind.js";
import { caseMessages, residentMessages } from "./case-messages.js";
import { assigneeAmongColleagues, colleaguesOf, historyOf, notesOf } from "./case-queries.js";
import { caseConversationSection, caseNotesSection, caseStatusForm, historyView } from "./case-views.js";
import { addCaseNote } from "./case-writes.js";

// The routes both kinds of case have: the inbox, one case's page, its status/assignee form and its
// internal notes. A case of another department (or none) is not found: a 404 page, or for a form
// a 404 answer, so nothing about it leaks.
export function caseRoutes<Found extends CaseRecord>(db: Kysely<Database>, kind: CaseKind<Found>): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: "64kb" });
  router.get(kind.path, caseInboxPage(db, kind));
  router.get(`${kind.path}/:id`, casePage(db, kind));

  router.post(`${kind.path}/:id/status`, form, async (req, res) => {
    const staff = req.staff!;
    const found = await kind.find(db, staff, String(req.params.id));
    if (!found) return void res.status(404).json({ error: caseNotFound(kind) });
    const body = req.body as Record<string, unknown>;
    const status = String(body.status ?? "") as CaseStatus;
    if (!(status in STATUS_LABELS)) return void res.redirect(303, `${kind.path}/${found.id}?error=status`);
    const assigneeId = await assigneeAmongColleagues(db, found.department, body.assignee_id);
    const done = await kind.changeStatus(db, staff, found, { status, assigneeId, now: new Date() });
    res.redirect(303, `${kind.path}/${found.id}?done=${done}`);
  });

  router.post(`${kind.path}/:id/notes`, form, async (req, res) => {
    const staff = req.staff!;
    const found = await kind.find(db, staff, String(req.params.id));
    if (!found) return void res.status(404).json({ error: caseNotFound(kind) });
    const saved = await addCaseNote(db, staff, kind.type, found.id, (req.body as Record<string, unknown>).body);
    if (!saved) return void res.redirect(303, `${kind.path}/${found.id}?error=note_length`);
    res.redirect(303, `${kind.path}/${found.id}?done=noted`);
  });
  return router;
}

// 「この問い合わせは見つかりません。」: the answer to a form posted for a case that is not found.
export function caseNotFound(kind: { noun: string }): string {
  return `この${kind.noun}は見つかりません。`;
}

// One case's page: the kind's own section (facts, status form, what only it has), then the notes,
// the history and the case's own LINE conversation (the resident's whole history for admins only).
function casePage<Found extends CaseRecord>(db: Kysely<Database>, kind: CaseKind<Found>) {
  return async (req: Request, res: Response): Promise<void> => {
    const staff = req.staff!;
    const found = await kind.find(db, staff, String(req.params.id));
    if (!found) return notFoundPage(res, kind, staff);
    const [own, whole, notes, history, colleagues] = await Promise.all([
      caseMessages(db, found.thread_id),
      staff.role === "admin" ? residentMessages(db, found.user_id) : Promise.resolve(null),
      notesOf(db, kind.type, found.id),
      historyOf(db, kind.type, found.id),
      colleaguesOf(db, found.department),
    ]);
    const section = await kind.caseSection(db, staff, found, caseStatusForm(`${kind.path}/${found.id}/status`, staff, found, colleagues));
    const done = typeof req.query.done === "string" ? kind.doneMessages[req.query.done] : undefined;
    const error = typeof req.query.error === "string" ? kind.errorMessages[req.query.error] : undefined;
    const body = html`
<p><a href="${kind.path}">← 一覧へ戻る</a></p>
${done ? html`<p class="notice" role="status">${done}</p>` : ""}
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
<div class="columns">
<section>
${section}
${caseNotesSection(`${kind.path}/${found.id}/notes`, staff, notes)}
<h2>操作の記録</h2>
${historyView(history)}
</section>
<section>
${caseConversationSection(own, whole)}
</section>
</div>`;
    res.type("html").send(page({ title: `${kind.noun} ${found.reference_no}`, staff, current: kind.path, body }));
  };
}

function notFoundPage(res: Response, kind: { noun: string; path: string }, staff: StaffPrincipal): void {
  const body = html`<p>この${kind.noun}は見つからないか、閲覧できません。</p><p><a href="${kind.path}">一覧へ戻る</a></p>`;
  res.status(404).type("html").send(page({ title: "見つかりません", staff, body }));
}
