import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { ResidentLoad } from "./support/resident-load.js";

// The control of the fault suite: with no fault at all the checks find every acked event answered
// once, in order. If this fails, the harness (or the bot's plain path) is broken, not a fault path.
describe.runIf(faultSuiteEnabled)("no fault (control)", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("answers every acked event once, in order, with bodies LINE accepts", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, eventsPerResident: 12, thinkMs: [50, 200] });
    await load.done;
    const report = await rig.drainAndReport("baseline", load.events, { timeoutMs: 60_000 });

    expect(report.statuses).toEqual({ "200": 120 });
    expect(bot.alive).toBe(true);
    expectExactlyOnceInOrder(report);
  });
});
