import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { openWork } from "./support/fault-database.js";
import { FaultRig, faultSuiteEnabled, numberFromEnv } from "./support/fault-rig.js";
import { preciseNow, sleep } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// LINE answers 5xx and 429 to every send for a long time (issue 12: 150 s, after which all 20–50
// answers had been marked failed after 8 attempts and were never sent). Answers must be retried
// through an outage of any length (until they are no longer useful, hours later): nothing marked
// failed (or expired), everything delivered once after LINE recovers, in order.
// FAULT_LINE_OUTAGE_S sets the outage (default 120 s: long enough for the old 8 attempts to run out).
const outageMs = numberFromEnv("FAULT_LINE_OUTAGE_S", 120) * 1000;

describe.runIf(faultSuiteEnabled)("LINE answers 5xx for a long time", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("marks nothing failed and delivers every answer once, in order, after LINE recovers", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    const outageEnds = preciseNow() + outageMs;
    rig.line.failFor(outageMs, [500, 502, 503, 429]);
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, eventsPerResident: 3, thinkMs: [1_000, 3_000] });
    await load.done;
    await sleep(Math.max(0, outageEnds - preciseNow()));
    const work = await openWork(rig.database);
    const report = await rig.drainAndReport("line-long-outage", load.events, {
      timeoutMs: 300_000,
      quietMs: 3_000,
      extra: { outageS: outageMs / 1000, givenUpAtOutageEnd: work.outboxGivenUp },
    });

    expect(bot.exit).toBeNull();
    expect(work.outboxGivenUp, "answers marked failed or expired during LINE's outage").toBe(0);
    expect((await openWork(rig.database)).outboxGivenUp, "answers marked failed or expired after LINE recovered").toBe(0);
    expectExactlyOnceInOrder(report);
  });
});
