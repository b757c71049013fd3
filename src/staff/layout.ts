import { html, type SafeHtml } from "./html.js";
import type { StaffPrincipal } from "./sessions.js";

// The frame of every console page: a header with the signed-in person and the sections.
const SECTIONS = [
  { path: "/staff/inquiries", label: "問い合わせ" },
  { path: "/staff/reports", label: "通報" },
  { path: "/staff/kpi", label: "KPI" },
  { path: "/staff/surveys", label: "アンケート" },
  { path: "/staff/listings", label: "空き家バンク" },
  { path: "/staff/notices", label: "お知らせ配信" },
] as const;

export function page(options: { title: string; staff?: StaffPrincipal; current?: string; body: SafeHtml }): string {
  const { title, staff, current, body } = options;
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} — 人吉市LINE 職員用</title>
<link rel="stylesheet" href="/staff/assets/staff.css">
<link rel="icon" href="data:,">
</head>
<body>
<header class="top">
  <a class="brand" href="/staff/inquiries">人吉市LINE 職員用</a>
  ${
    staff
      ? html`<nav>${[...SECTIONS, ...(staff.role === "admin" ? [{ path: "/staff/privacy", label: "個人情報" }] : [])].map((section) => html`<a href="${section.path}"${current === section.path ? html` aria-current="page"` : ""}>${section.label}</a>`)}</nav>
  <div class="who">${staff.displayName}（${staff.department}${staff.role === "admin" ? "・管理者" : ""}）
    <form method="post" action="/staff/logout" class="inline"><input type="hidden" name="_csrf" value="${staff.csrfToken}"><button type="submit">ログアウト</button></form>
  </div>`
      : ""
  }
</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.value;
}

export function csrfField(staff: StaffPrincipal): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${staff.csrfToken}">`;
}
