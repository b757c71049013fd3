import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { NoticeDelivery, defaultNoticeDeliveryOptions } from "../../src/notices/notice-delivery.js";
import { createNoticeSender } from "../../src/notices/notice-sender.js";
import { countRecipients, recipientPage, segmentSchema, type Segment } from "../../src/notices/segments.js";
import type { RunningBot } from "../../src/bot.js";
import { botFixture } from "../support/bot-fixture.js";
import { approvedNotice } from "../support/notices.js";
import { addEventFans, addResidents, residentId, type ResidentFixture } from "../support/residents.js";
import { TEST_ACCESS_TOKEN, events, sendEvents, waitFor } from "../support/webhook-client.js";
import { testDatabases } from "../support/test-store.js";

// Notices from approval to LINE: who is chosen, how they are batched, and that a crash, a 429 or a
// second process never loses or doubles a message. Every body is checked against LINE's OpenAPI spec.
const MULTICAST = "/v2/bot/message/multicast";
const fast = { noticeIntervalMs: 50, notices: { backoff: () => 20, leaseMs: 2_000 } };

const DISTRICTS = ["人吉東", "人吉西", "中原", "東間"];
const TOWNS = ["鍛冶屋町", "下林町", "上原田町"];
const AGES = ["10代", "20代", "30代", "60代"];
const INTERESTS = ["relocation", "childcare", "disaster", "events", "furusato", "city_info"];

// A deterministic crowd: every combination of values appears, some residents have no profile,
// some have blocked the account.
function crowd(count: number): ResidentFixture[] {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, (_, index) => ({
    userId: residentId(index + 1),
    following: next() > 0.15,
    profile:
      next() < 0.1
        ? null
        : {
            residence: pick(["city", "outside", null] as const),
            school_district: pick([...DISTRICTS, null]),
            town: pick([...TOWNS, null]),
            age_band: pick([...AGES, null]),
            interests: INTERESTS.filter(() => next() < 0.3),
          },
  }));
}

// The rule written out in plain code: fields AND-ed, the values chosen within a field OR-ed.
function matches(resident: ResidentFixture, segment: Segment): boolean {
  const profile = resident.profile;
  if (!resident.following || !profile) return false;
  const field = (chosen: string[], value: string | null) => chosen.length === 0 || (value !== null && chosen.includes(value));
  return (
    field(segment.residence, profile.residence) &&
    field(segment.school_district, profile.school_district) &&
    field(segment.town, profile.town) &&
    field(segment.age_band, profile.age_band) &&
    (segment.interests.length === 0 || segment.interests.some((interest) => profile.interests.includes(interest)))
  );
}

async function noticeRow(bot: RunningBot, id: string) {
  return bot.store.db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}
async function batchesOf(bot: RunningBot, id: string) {
  return bot.store.db.selectFrom("notice_batches").selectAll().where("notice_id", "=", id).orderBy("seq").execute();
}
const finished = (bot: RunningBot, id: string) =>
  waitFor(async () => {
    const row = await noticeRow(bot, id);
    return row.status === "sent" || row.status === "failed" ? row : null;
  }, `notice ${id} finished`, 20_000);

// Starting a bot takes most of each test's time (and much longer on a busy machine): hence the timeout.
describe.each(testDatabases)("notice delivery on $name", { timeout: 180_000 }, (database) => {
  const fixture = botFixture(database);

  it("chooses exactly the residents a segment describes, and never one who blocked the account", async () => {
    const bot = await fixture.start();
    const residents = crowd(400);
    await addResidents(bot.store.db, residents);
    // One more who matches everything, then blocks the account (a signed unfollow webhook).
    const leaving: ResidentFixture = { userId: residentId(999), following: true, profile: { residence: "city", school_district: "人吉東", town: "下林町", age_band: "30代", interests: ["events"] } };
    const staying: ResidentFixture = { ...leaving, userId: residentId(998) };
    residents.push(staying);
    await addResidents(bot.store.db, [staying, leaving]);
    await sendEvents(bot.url, [events.unfollow(leaving.userId)]);
    await waitFor(async () => (await bot.store.db.selectFrom("line_users").select("follow_state").where("user_id", "=", leaving.userId).executeTakeFirst())?.follow_state === "blocked", "the block recorded");

    const segments = [
      { residence: ["city"] },
      { school_district: ["人吉東", "中原"] },
      { school_district: ["人吉東"], town: ["下林町", "上原田町"], age_band: ["30代"] },
      { interests: ["events", "disaster"] },
      { residence: ["city"], interests: ["childcare"], age_band: ["20代", "30代"] },
      { town: ["下林町"], school_district: ["人吉東"], residence: ["city"], age_band: ["30代"], interests: ["events"] },
    ].map((segment) => segmentSchema.parse(segment));
    for (const segment of segments) {
      const expected = residents.filter((resident) => matches(resident, segment)).map((resident) => resident.userId);
      const chosen: string[] = [];
      for (let page = await recipientPage(bot.store.db, { kind: "segment", segment }, null, 37); page.length > 0; page = await recipientPage(bot.store.db, { kind: "segment", segment }, page.at(-1)!, 37)) {
        chosen.push(...page);
      }
      expect(expected.length).toBeGreaterThan(0);
      expect(chosen).toEqual(expected);
      expect(await countRecipients(bot.store.db, { kind: "segment", segment })).toBe(expected.length);
      expect(chosen).not.toContain(leaving.userId);
    }
    const friends = residents.filter((resident) => resident.following).length;
    expect(await countRecipients(bot.store.db, { kind: "all" })).toBe(friends);
  });

  it("sends 1,234 residents of a segment in three multicast batches (500, 500, 234), each with its stored retry key", async () => {
    const bot = await fixture.start({ overrides: fast });
    await addEventFans(bot.store.db, 1234);
    await addResidents(bot.store.db, [{ userId: residentId(5000), following: true, profile: { residence: "outside", school_district: null, town: null, age_band: null, interests: ["events"] } }]);
    const id = await approvedNotice(bot.store.db, { audience: { residence: ["city"], interests: ["events"] } });
    const notice = await finished(bot, id);
    expect(notice.status).toBe("sent");
    expect(notice.recipient_count).toBe(1234);

    // Batches go out concurrently, so in any order; each request matches its stored batch.
    const requests = fixture.lineApi.to(MULTICAST);
    const batches = await batchesOf(bot, id);
    expect(batches.map((batch) => [batch.status, batch.recipient_count])).toEqual([["sent", 500], ["sent", 500], ["sent", 234]]);
    expect(requests).toHaveLength(3);
    for (const batch of batches) {
      const request = requests.find((candidate) => candidate.headers["x-line-retry-key"] === batch.retry_key)!;
      expect(request.body.to).toEqual(batch.recipients);
    }
    const reached = fixture.lineApi.recipientsReached();
    expect(new Set(reached).size).toBe(1234);
    expect(reached).not.toContain(residentId(5000));
    expect(requests[0]!.body.messages).toEqual([{ type: "text", text: "人吉市からのお知らせです。" }]);
  });

  it("sends 'all friends' as one broadcast with a retry key", async () => {
    const bot = await fixture.start({ overrides: fast });
    await addEventFans(bot.store.db, 30);
    const id = await approvedNotice(bot.store.db, { audience: "all" });
    const notice = await finished(bot, id);
    expect(notice.status).toBe("sent");
    expect(notice.recipient_count).toBe(30);
    const broadcasts = fixture.lineApi.to("/v2/bot/message/broadcast");
    expect(broadcasts).toHaveLength(1);
    expect(broadcasts[0]!.headers["x-line-retry-key"]).toBe((await batchesOf(bot, id))[0]!.retry_key);
    expect(fixture.lineApi.to(MULTICAST)).toHaveLength(0);
  });

  it("resumes a delivery killed after its first batch: sends only the rest, with the keys stored before the crash", async () => {
    const bot = await fixture.start({ env: { APP_ROLE: "web" } });
    await addEventFans(bot.store.db, 1234);
    const id = await approvedNotice(bot.store.db, { audience: { interests: ["events"] } });
    const sender = createNoticeSender({ channelAccessToken: TEST_ACCESS_TOKEN, apiBaseUrl: fixture.lineApi.url });
    const log = pino({ level: "silent" });
    const options = { ...defaultNoticeDeliveryOptions("first-process"), concurrency: 2, leaseMs: 400, backoff: () => 20 };

    // The first process gets one batch answered; the other two reach LINE (each sender takes the next
    // batch as soon as its last one was answered) but the process dies before their answers come
    // back (LINE accepted them; nobody wrote that down).
    fixture.lineApi.holdAfter(MULTICAST, 1);
    const killed = new AbortController();
    void new NoticeDelivery(bot.store.db, sender, log, options).deliverDue(new Date(), killed.signal).catch(() => {});
    await waitFor(async () => (await batchesOf(bot, id)).some((batch) => batch.status === "sent"), "the first batch sent");
    await waitFor(async () => fixture.lineApi.to(MULTICAST).length === 3, "the other two batches in flight");
    killed.abort();
    const beforeCrash = await batchesOf(bot, id);
    // The batches go out concurrently: whichever LINE answered first is the one sent.
    const sentBefore = beforeCrash.filter((batch) => batch.status === "sent");
    expect(sentBefore).toHaveLength(1);
    expect(beforeCrash.filter((batch) => batch.status === "pending")).toHaveLength(beforeCrash.length - 1);
    const requestsBeforeRestart = fixture.lineApi.to(MULTICAST).length;

    fixture.lineApi.holdAfter(MULTICAST, Number.MAX_SAFE_INTEGER);
    const restarted = new NoticeDelivery(bot.store.db, sender, log, { ...options, workerId: "restarted-process" });
    await waitFor(async () => (await restarted.deliverDue(new Date())) > 0, "the restarted process takes the notice over", 5_000);
    const notice = await noticeRow(bot, id);
    expect(notice.status).toBe("sent");
    expect(notice.recipient_count).toBe(1234);

    const batches = await batchesOf(bot, id);
    expect(batches.map((batch) => batch.status)).toEqual(["sent", "sent", "sent"]);
    const afterRestart = fixture.lineApi.to(MULTICAST).slice(requestsBeforeRestart);
    // The batch sent before the crash is never sent again; the two in flight are re-sent with the keys written before the
    // crash (LINE answers 409: already delivered).
    expect(afterRestart.map((request) => request.headers["x-line-retry-key"]).sort()).toEqual(batches.filter((batch) => batch.seq !== sentBefore[0]!.seq).map((batch) => batch.retry_key).sort());
    for (const stored of beforeCrash) expect(batches.find((batch) => batch.seq === stored.seq)!.retry_key).toBe(stored.retry_key);
    const inFlight = fixture.lineApi.to(MULTICAST).slice(0, requestsBeforeRestart).map((request) => request.headers["x-line-retry-key"]);
    const heldBatches = batches.filter((batch) => batch.seq !== sentBefore[0]!.seq);
    expect(heldBatches.map((batch) => inFlight.includes(batch.retry_key))).toEqual([true, true]);
    expect(heldBatches.map((batch) => batch.last_status)).toEqual([409, 409]);
    const reached = fixture.lineApi.recipientsReached();
    expect(reached).toHaveLength(1234);
    expect(new Set(reached).size).toBe(1234);
  });

  it("backs off on 429 and 500 and sends the batch once, with the same retry key", async () => {
    const bot = await fixture.start({ overrides: fast });
    await addEventFans(bot.store.db, 12);
    fixture.lineApi.failNext(MULTICAST, 429, { message: "Too many requests" });
    fixture.lineApi.failNext(MULTICAST, 500, { message: "Internal error" });
    const id = await approvedNotice(bot.store.db, { audience: { interests: ["events"] } });
    const notice = await finished(bot, id);
    expect(notice.status).toBe("sent");
    const requests = fixture.lineApi.to(MULTICAST);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.headers["x-line-retry-key"])).size).toBe(1);
    expect(fixture.lineApi.accepted.filter((send) => send.path === MULTICAST)).toHaveLength(1);
    const [batch] = await batchesOf(bot, id);
    expect([batch!.status, batch!.attempts]).toEqual(["sent", 3]);
  });

  it("records a batch LINE refuses (400) as failed with the reason, and still sends the other batches", async () => {
    const bot = await fixture.start({ overrides: { ...fast, notices: { ...fast.notices, batchSize: 10 } } });
    await addEventFans(bot.store.db, 25);
    fixture.lineApi.failNext(MULTICAST, 400, { message: "The request body has 1 error(s)" });
    const id = await approvedNotice(bot.store.db, { audience: { interests: ["events"] } });
    const notice = await finished(bot, id);
    expect(notice.status).toBe("sent");
    const batches = await batchesOf(bot, id);
    expect(batches.map((batch) => batch.status).sort()).toEqual(["failed", "sent", "sent"]);
    expect(batches.find((batch) => batch.status === "failed")!.last_error).toContain("The request body has 1 error(s)");
  });

  it("sends a scheduled notice once when two app processes are running", async () => {
    const first = await fixture.start({ overrides: fast });
    // A second process on the same database; PGlite cannot be shared between processes, so there
    // the second process's delivery shares the first one's store (the claim logic is the same).
    const second = database.name === "postgres" ? await fixture.start({ overrides: fast }) : null;
    const extra = second ? null : new NoticeDelivery(first.store.db, createNoticeSender({ channelAccessToken: TEST_ACCESS_TOKEN, apiBaseUrl: fixture.lineApi.url }), pino({ level: "silent" }), { ...defaultNoticeDeliveryOptions("second-process"), backoff: () => 20 });
    let polling = true;
    const poller = (async () => {
      while (polling && extra) {
        await extra.deliverDue(new Date());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await addEventFans(first.store.db, 1234);
    const id = await approvedNotice(first.store.db, { audience: { interests: ["events"] }, scheduledAt: new Date(Date.now() + 800) });
    expect((await noticeRow(first, id)).status).toBe("approved");
    const notice = await finished(first, id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    polling = false;
    await poller;
    expect(notice.status).toBe("sent");
    expect(notice.started_at!.getTime()).toBeGreaterThanOrEqual(notice.scheduled_at!.getTime());
    const requests = fixture.lineApi.to(MULTICAST);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((request) => request.headers["x-line-retry-key"])).size).toBe(3);
    expect(fixture.lineApi.recipientsReached()).toHaveLength(1234);
    expect(new Set(fixture.lineApi.recipientsReached()).size).toBe(1234);
  });

  it("refuses, before sending anything, a notice that would exceed this month's message quota", async () => {
    const bot = await fixture.start({ overrides: fast });
    await addEventFans(bot.store.db, 120);
    fixture.lineApi.setQuota(1000, 950);
    const id = await approvedNotice(bot.store.db, { audience: { interests: ["events"] } });
    const notice = await finished(bot, id);
    expect(notice.status).toBe("failed");
    expect(notice.last_error).toContain("上限 1,000 通のうち 950 通");
    expect(notice.last_error).toContain("120 人");
    expect(fixture.lineApi.to(MULTICAST)).toHaveLength(0);
    expect(fixture.lineApi.to("/v2/bot/message/quota")).toHaveLength(1);
    expect(fixture.lineApi.to("/v2/bot/message/quota/consumption")).toHaveLength(1);
  });
});
