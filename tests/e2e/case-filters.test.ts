import { beforeAll, describe, expect, it } from "vitest";
import { sharedBotFixture } from "../support/bot-fixture.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";

// The inquiry and report inboxes (and the inquiry CSV) with conditions no form sends: never a 500,
// but 400 with what to fix in Japanese; well-formed conditions still list.
const INBOXES = ["/staff/inquiries", "/staff/reports", "/staff/api/exports/inquiries.csv"];
const BAD: { query: string; says: string }[] = [
  { query: "from=2024-99-99", says: "期間の開始日は「2026-04-01」のような年-月-日の日付" },
  { query: "from=2024-02-30", says: "期間の開始日は" },
  { query: "to=abc", says: "期間の終了日は" },
  { query: "from=0000-01-01", says: "1900〜2999年" },
  { query: "q=%E9%81%93%00%E8%B7%AF", says: "キーワードに使えない文字" },
  { query: `q=${encodeURIComponent("道路\u0007")}`, says: "キーワードに使えない文字" },
  { query: `q=${"%E9%81%93".repeat(101)}`, says: "キーワードは100文字以内" },
  { query: `q=${"a".repeat(100_00)}`, says: "キーワードは100文字以内" },
  { query: "q=a&q=b", says: "キーワードは1つだけ指定してください。" },
  { query: "page=-1", says: "ページは1〜10000の数で指定してください。" },
  { query: "page=0", says: "ページは1〜10000" },
  { query: "page=1.5", says: "ページは1〜10000" },
  { query: "page=99999999999999999999", says: "ページは1〜10000" },
  { query: "status=open", says: "状態の指定が正しくありません" },
  { query: "category=%00", says: "種類の指定が正しくありません" },
  { query: `department=${encodeURIComponent("課\u0000")}`, says: "担当課に使えない文字" },
];

describe.each(testDatabases)("inbox filters on $name", (database) => {
  const shared = sharedBotFixture(database);
  const admin = () => new StaffClient(shared.bot.url);
  let client: StaffClient;

  beforeAll(async () => {
    await addStaff(shared.bot.store.db, { loginId: "filters-admin", role: "admin", department: "情報政策課" });
    client = admin();
    await client.login("filters-admin");
  });

  const rows = INBOXES.flatMap((path) => BAD.map((bad) => ({ path, ...bad })));
  it.each(rows)("$path?$query → 400", async ({ path, query, says }) => {
    const response = await client.request(`${path}?${query}`);
    expect(response.status, response.text.slice(0, 300)).toBe(400);
    expect(response.response.headers.get("content-type")).toContain("text/html");
    expect(response.text).toContain(says);
    expect(response.text).toContain("条件をクリアして一覧を表示する");
  });

  it("lists with well-formed conditions, empty values and a lone surrogate sent as bytes", async () => {
    for (const path of INBOXES) {
      for (const query of ["from=2024-02-29&to=2026-12-31&page=1", "q=&from=&to=&status=&category=&page=", "q=%ED%A0%80%E9%81%93", `q=${encodeURIComponent("'\\%_")}`]) {
        const response = await client.request(`${path}?${query}`);
        expect(response.status, `${path}?${query}`).toBe(200);
      }
    }
  });
});
