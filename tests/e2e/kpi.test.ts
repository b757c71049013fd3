import { describe, expect, it } from "vitest";
import { fiscalYearOf } from "../../src/japan-time.js";
import { sharedBotFixture } from "../support/bot-fixture.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, sendEvents, waitFor } from "../support/webhook-client.js";

describe.each(testDatabases)("KPI answers on $name", (database) => {
  const shared = sharedBotFixture(database);

  const ask = async (text: string) => {
    const event = events.text(newUserId(), text);
    await sendEvents(shared.bot.url, [event]);
    const reply = await waitFor(async () => shared.lineApi.to("/v2/bot/message/reply").find((request) => request.body.replyToken === event.replyToken), "the answer");
    return reply.body.messages as { type: string; text?: string; altText?: string; contents?: { type: string; contents: unknown[] } }[];
  };

  it("answers an indicator with the plan's figures, its yearly targets, and this fiscal year's live count", async () => {
    const now = new Date();
    const thisYear = fiscalYearOf(now);
    // Two relocation consultations this fiscal year, one two years ago (not counted).
    const insert = (reference: string, at: Date) =>
      shared.bot.store.db
        .insertInto("inquiries")
        .values({ reference_no: reference, user_id: "Ux", category: "relocation", department: "商工観光課", created_at: at, updated_at: at })
        .execute();
    await insert("IQ-T-1", now);
    await insert("IQ-T-2", now);
    await insert("IQ-T-3", new Date(now.getTime() - 2 * 365 * 24 * 3600 * 1000));

    const [answer] = await ask("移住相談の件数はどのくらい？");
    expect(answer!.text).toContain("「移住希望者からの相談件数」（単位：件）");
    expect(answer!.text).toContain("令和5年度（2023年度）の実績：47件（達成状況 △）");
    expect(answer!.text).toContain("令和9年度（2027年度）の目標：80件");
    expect(answer!.text).toContain("令和7年度（2025年度） 65件");
    expect(answer!.text).toContain("令和8年度（2026年度） 75件");
    expect(answer!.text).toContain(`今年度（令和${thisYear - 2018}年度（${thisYear}年度））の数：2件`);
    expect(answer!.text).toContain("担当：商工観光課");
  });

  it("says which figure is which where the plan gives two for one target", async () => {
    const [answer] = await ask("ICTを活用した事業の目標は？");
    expect(answer!.text).toContain("令和9年度の目標は、成果指標の表（KPI表）では8件、実施計画（スマートシティ推進事業）では18件です。");
  });

  it("counts the LINE friends as the LINE part of the follower figure", async () => {
    await shared.bot.store.db.insertInto("line_users").values([{ user_id: "Ua", follow_state: "following" }, { user_id: "Ub", follow_state: "blocked" }]).execute();
    const [answer] = await ask("フォロワーは何人？");
    expect(answer!.text).toContain("25,671人");
    expect(answer!.text).toMatch(/今年度.*の数：\d+人/);
    expect(answer!.text).toContain("LINEの分");
  });

  it("gives every indicator as a Flex carousel for KPI一覧", async () => {
    const [flex, text] = await ask("KPI一覧");
    expect(flex!.type).toBe("flex");
    expect(flex!.altText).toContain("12項目");
    expect(flex!.contents!.type).toBe("carousel");
    expect(flex!.contents!.contents).toHaveLength(5);
    expect(JSON.stringify(flex)).toContain("移住希望者からの相談件数");
    expect(text!.type).toBe("text");
  });
});
