import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { Database } from "../../store/database.js";
import { audit } from "../audit.js";
import { requireAdmin } from "../guard.js";
import { html } from "../html.js";
import { csrfField, page } from "../layout.js";
import { INBOX_PAYLOAD_DAYS, NOTICE_RECIPIENTS_DAYS } from "./retention.js";
import { deleteUserData, exportUserData, findResident, LINE_USER_ID } from "./user-data.js";

// 個人情報 (administrators only): look up one resident by their LINE user ID or by the reference
// number of one of their inquiries or reports, download everything stored about them as JSON, or
// erase it; and the retention period the scheduled job applies. A search that finds no one says so.
export function privacyPages(db: Kysely<Database>, options: { retentionDays: number }): Router {
  const router = express.Router();
  router.use(["/staff/privacy", "/staff/api/privacy"], requireAdmin);

  router.get("/staff/privacy", async (req, res) => {
    const staff = req.staff!;
    // `user` is what the inquiry and report pages link with; the form sends `q`.
    const query = [req.query.q, req.query.user].find((value): value is string => typeof value === "string" && value.trim() !== "")?.normalize("NFKC").trim() ?? "";
    const done = req.query.done === "deleted";
    let notFound: string | null = null;
    if (query) {
      const found = await findResident(db, query);
      if ("notFound" in found) notFound = found.notFound;
      else {
        const { userId, reference } = found;
        const data = await exportUserData(db, userId);
        if (!data.user && data.messages.length === 0 && data.inquiries.length === 0 && data.reports.length === 0) {
          notFound = `LINEのユーザーID ${userId} のデータはありません（削除済みか、このLINEとやりとりのない方です）。`;
        } else {
          const body = html`${privacyIntro(options.retentionDays)}
${lookupForm(query)}
<h2>${reference ? html`受付番号 ${reference} の方（${userId}）のデータ` : html`${userId} のデータ`}</h2>
<ul>
  <li>メッセージ ${data.messages.length}件</li><li>問い合わせ ${data.inquiries.length}件</li><li>通報 ${data.reports.length}件（写真 ${data.reportPhotos.length}枚）</li>
  <li>アンケート回答 ${data.surveyResponses.length}件</li><li>未来カフェの申し込み ${data.futureCafeSignups.length}件</li>
  <li>受信設定 ${data.residentProfile ? "あり" : "なし"}</li>
</ul>
<p><a class="button" href="/staff/api/privacy/${userId}/export.json">すべてのデータをダウンロード（JSON）</a></p>
<form method="post" action="/staff/privacy/${userId}/delete" class="reply">
  ${csrfField(staff)}
  <label><input type="checkbox" name="confirm" value="yes" required> この方のデータをすべて削除します（元に戻せません。受け付けた相談の件数などの統計は減りません）</label>
  <button type="submit">削除する</button>
</form>`;
          return void res.type("html").send(page({ title: "個人情報の開示・削除", staff, body }));
        }
      }
    }
    const body = html`${done ? html`<p class="notice" role="status">削除しました。</p>` : ""}${notFound ? html`<p class="error" role="alert">${notFound}</p>` : ""}
${privacyIntro(options.retentionDays)}
${lookupForm(query)}`;
    res.type("html").send(page({ title: "個人情報の開示・削除", staff, body }));
  });

  router.get("/staff/api/privacy/:userId/export.json", async (req, res) => {
    const userId = req.params.userId;
    if (!LINE_USER_ID.test(userId)) return void res.status(404).json({ error: "ユーザーIDの形が正しくありません。" });
    const data = await exportUserData(db, userId);
    await audit(db, req.staff!, "privacy.export", { type: "line_user", id: userId });
    res.set("Content-Disposition", `attachment; filename="line-user-${userId}.json"`).type("json").send(JSON.stringify(data, null, 2));
  });

  router.post("/staff/privacy/:userId/delete", async (req, res) => {
    const userId = req.params.userId;
    if (!LINE_USER_ID.test(userId)) return void res.status(404).json({ error: "ユーザーIDの形が正しくありません。" });
    if ((req.body as Record<string, unknown>).confirm !== "yes") return void res.redirect(303, `/staff/privacy?user=${userId}`);
    const counts = await deleteUserData(db, userId);
    await audit(db, req.staff!, "privacy.delete", { type: "line_user", id: userId }, counts);
    res.redirect(303, "/staff/privacy?done=deleted");
  });
  return router;
}

function privacyIntro(retentionDays: number) {
  return html`<p>完了した問い合わせ・通報の個人情報（電話番号、メールアドレス、お住まい、件名、自由記述、職員のメモ、通報の場所・位置・写真）は、完了から${retentionDays}日たつと自動で削除されます（統計に使う種類・日付・担当課・選択肢の回答は残ります）。LINEのやりとりも、対応中か保存期間内の問い合わせ・通報がない方の分は${retentionDays}日で、アンケートの自由記述は回答から${retentionDays}日で削除されます。お知らせの配信先の一覧は配信終了から${NOTICE_RECIPIENTS_DAYS}日、受信したイベントの記録の本文は${INBOX_PAYLOAD_DAYS}日で消えます（件数は残ります）。</p>
<p>住民の方からご自身の情報の開示や削除を求められたときは、その方の問い合わせ・通報の受付番号（IQ-2026-00001、RP-2026-00001 など）か、問い合わせの画面にあるLINEのユーザーIDで検索してください。削除しても、受け付けた移住相談の件数などの統計は減りません。操作はすべて記録されます。</p>`;
}

function lookupForm(query: string) {
  return html`<form method="get" action="/staff/privacy" class="filters"><label>受付番号またはLINEのユーザーID <input name="q" value="${query}" size="40" required></label><button type="submit">検索する</button></form>`;
}
