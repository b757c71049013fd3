import { describe, expect, it } from "vitest";
import { botFixture } from "../support/bot-fixture.js";
import { conversationDriver } from "../support/conversation-driver.js";
import { addStaff, StaffClient } from "../support/staff-client.js";
import { testDatabases } from "../support/test-store.js";
import { events, newUserId, waitFor } from "../support/webhook-client.js";

// Personal data: removed from closed inquiries after the retention period by the scheduled job;
// exported or erased for one resident by an administrator.
describe.each(testDatabases)("privacy on $name", (database) => {
  const fixture = botFixture(database);
  const { say, tap, press } = conversationDriver(() => fixture.lineApi);
  const DAY = 24 * 60 * 60 * 1000;

  async function consultation(bot: Awaited<ReturnType<typeof fixture.start>>, userId: string) {
    let messages = await say(bot, events.postback(userId, "v1|relocation|start|"));
    messages = await say(bot, press(userId, tap(messages, "住まい")));
    messages = await say(bot, press(userId, tap(messages, "2人")));
    messages = await say(bot, events.text(userId, "福岡県久留米市"));
    messages = await say(bot, press(userId, tap(messages, "電話")));
    messages = await say(bot, events.text(userId, "090-1111-2222"));
    messages = await say(bot, events.text(userId, "妻と二人で古民家に住みたい"));
    await say(bot, press(userId, tap(messages, "送信する")));
    return bot.store.db.selectFrom("inquiries").selectAll().where("user_id", "=", userId).executeTakeFirstOrThrow();
  }

  it("removes the personal answers of an inquiry closed longer than the retention period, keeping what statistics need", async () => {
    let clock = new Date();
    const bot = await fixture.start({ env: { PERSONAL_DATA_RETENTION_DAYS: "30" }, overrides: { jobIntervalMs: 50, now: () => clock } });
    const kept = await consultation(bot, newUserId());
    const old = await consultation(bot, newUserId());
    await bot.store.db.updateTable("inquiries").set({ status: "closed", closed_at: new Date(Date.now() - 10 * DAY) }).where("id", "=", kept.id).execute();
    await bot.store.db.updateTable("inquiries").set({ status: "closed", closed_at: new Date(Date.now() - 31 * DAY) }).where("id", "=", old.id).execute();
    clock = new Date();
    const anonymized = await waitFor(async () => {
      const row = await bot.store.db.selectFrom("inquiries").selectAll().where("id", "=", old.id).executeTakeFirstOrThrow();
      return row.anonymized_at ? row : undefined;
    }, "the retention job");
    expect(anonymized.details).toEqual({ topic: "住まい", household: "2人", contact_method: "電話" });
    const untouched = await bot.store.db.selectFrom("inquiries").selectAll().where("id", "=", kept.id).executeTakeFirstOrThrow();
    expect(untouched.anonymized_at).toBeNull();
    expect(untouched.details).toMatchObject({ contact: "09011112222", residence: "福岡県久留米市" });
  });

  it("lets an administrator export and erase everything about one resident; other staff cannot", async () => {
    const bot = await fixture.start();
    await addStaff(bot.store.db, { loginId: "admin2", department: "秘書課", role: "admin" });
    await addStaff(bot.store.db, { loginId: "shoko4" });
    const userId = newUserId();
    const other = newUserId();
    await consultation(bot, userId);
    await consultation(bot, other);

    const staff = new StaffClient(bot.url);
    await staff.login("shoko4");
    expect((await staff.request(`/staff/privacy?user=${userId}`)).status).toBe(403);
    expect((await staff.request(`/staff/api/privacy/${userId}/export.json`)).status).toBe(403);

    const admin = new StaffClient(bot.url);
    await admin.login("admin2");
    const lookup = await admin.request(`/staff/privacy?user=${userId}`);
    expect(lookup.text).toContain("問い合わせ 1件");
    const exported = await admin.request(`/staff/api/privacy/${userId}/export.json`);
    const data = JSON.parse(exported.text);
    expect(data.lineUserId).toBe(userId);
    expect(data.inquiries[0].details).toMatchObject({ contact: "09011112222" });
    expect(data.messages.map((message: { text: string | null }) => message.text)).toContain("妻と二人で古民家に住みたい");

    expect((await admin.request(`/staff/privacy/${userId}/delete`, { form: { confirm: "yes" } })).status).toBe(403);
    const deleted = await admin.post(`/staff/privacy/${userId}/delete`, { confirm: "yes" });
    expect(deleted.location).toBe("/staff/privacy?done=deleted");
    for (const table of ["messages", "inquiries", "line_users", "conversations"] as const) {
      expect(await bot.store.db.selectFrom(table).select("user_id").where("user_id", "=", userId).execute(), table).toEqual([]);
    }
    // The raw webhook payloads (with the message texts) are emptied for this resident only.
    const payloads = await bot.store.db.selectFrom("inbox_events").select("payload").execute();
    expect(JSON.stringify(payloads)).not.toContain(userId);
    expect(payloads.filter((row) => JSON.stringify(row.payload).includes("妻と二人で"))).toHaveLength(1);
    expect(await bot.store.db.selectFrom("inquiries").select("user_id").where("user_id", "=", other).execute()).toHaveLength(1);
    const log = await bot.store.db.selectFrom("audit_log").select(["action", "target_id"]).where("action", "like", "privacy.%").orderBy("id").execute();
    expect(log).toEqual([
      { action: "privacy.export", target_id: userId },
      { action: "privacy.delete", target_id: userId },
    ]);
  });
});
