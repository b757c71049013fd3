import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder, statusCounts } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { preciseNow, sleep } from "./support/numbers.js";
import { ResidentLoad, type Attempt } from "./support/resident-load.js";
import type { BotProcess } from "./support/bot-process.js";

// Postgres unreachable for 10 s, twice: first down (connections reset, new ones refused), then
// behind a network partition (nothing answers, connections hang). While it is unreachable the
// webhook must answer 503 (never 200 for an event it did not store, never 500) so that LINE
// redelivers, and answer it in time: a webhook sent during the partition must get its 503 before
// the partition ends (LINE does not wait long; a hung request is no answer). /readyz must say what
// is wrong, and afterwards the bot recovers by itself. The residents redeliver every event not
// answered 200, as LINE does, until it is.
const OUTAGE_MS = 10_000;

interface Outage {
  mode: "refuse" | "hang";
  start: number;
  end: number;
  readiness: { status: number | null; body: string };
  recoveredInMs: number | null;
}

describe.runIf(faultSuiteEnabled)("Postgres unreachable for 10 s", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("answers 503 while unreachable, says so on /readyz, recovers, and answers every acked event once", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    const load = new ResidentLoad({
      line: rig.line,
      targets: [bot.url],
      residents: 10,
      durationMs: 40_000,
      thinkMs: [200, 400],
      redeliver: { delayMs: 1_000, giveUpMs: 90_000 },
      requestTimeoutMs: 15_000,
    });
    await sleep(4_000);
    const outages: Outage[] = [];
    for (const mode of ["refuse", "hang"] as const) {
      outages.push(await outage(rig, bot, mode));
      await sleep(4_000);
    }
    await Promise.race([load.done, bot.exited.then(() => load.abandon())]);
    const report = await rig.drainAndReport("pg-unreachable", load.events, {
      timeoutMs: 90_000,
      extra: Object.fromEntries(outages.map((o) => [`${o.mode}`, `readyz:${o.readiness.status},recoveredS:${o.recoveredInMs === null ? "never" : o.recoveredInMs / 1000},during:${JSON.stringify(statusCounts(during(load.attempts(), o)))}`])),
    });

    expect(bot.exit, "the bot process ended when Postgres became unreachable").toBeNull();
    for (const o of outages) {
      const answered = during(load.attempts(), o);
      expect(answered.length, `no webhook was answered while Postgres was unreachable (${o.mode})`).toBeGreaterThan(0);
      expect(statusCounts(answered), `webhook answers while Postgres was unreachable (${o.mode})`).toEqual({ "503": answered.length });
      expect(o.readiness.status, `/readyz while Postgres was unreachable (${o.mode}): ${o.readiness.body}`).toBe(503);
      expect(o.readiness.body).toMatch(/database|postgres/i);
      expect(o.recoveredInMs, `the bot did not become ready again after the ${o.mode} outage`).not.toBeNull();
    }
    expect(Object.keys(report.statuses).filter((status) => status !== "200" && status !== "503"), "webhook answers other than 200 and 503").toEqual([]);
    expectExactlyOnceInOrder(report);
  });
});

async function outage(rig: FaultRig, bot: BotProcess, mode: "refuse" | "hang"): Promise<Outage> {
  const start = preciseNow();
  rig.proxy.pause(mode);
  await sleep(OUTAGE_MS / 2);
  const readiness = await bot.readiness(4_000);
  await sleep(start + OUTAGE_MS - preciseNow());
  const end = preciseNow();
  rig.proxy.resume();
  let recoveredInMs: number | null = null;
  while (bot.alive && preciseNow() - end < 30_000) {
    if ((await bot.readiness(2_000)).status === 200) {
      recoveredInMs = preciseNow() - end;
      break;
    }
    await sleep(200);
  }
  return { mode, start, end, readiness, recoveredInMs };
}

// Webhook attempts sent and answered while Postgres was unreachable (a short margin after its start).
function during(attempts: Attempt[], o: Outage): Attempt[] {
  return attempts.filter((attempt) => attempt.sentAt >= o.start + 300 && attempt.endedAt <= o.end);
}
