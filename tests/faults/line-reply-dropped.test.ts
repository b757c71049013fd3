import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { ResidentLoad } from "./support/resident-load.js";

// LINE accepts a reply (the resident sees it) and then the connection drops before the bot hears
// the 200. Retrying the reply gets 400 (the token is used): that means it was sent, not that the
// answer must go again as a push (issue 12: 250–997 duplicates in a 5 s window).
describe.runIf(faultSuiteEnabled)("LINE accepts a send, then the connection drops", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("sends no answer twice and loses none", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    rig.line.dropAfterAccept({ next: 5, fraction: 0.3, forMs: 12_000 });
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, durationMs: 15_000, thinkMs: [100, 300] });
    await Promise.race([load.done, bot.exited.then(() => load.abandon())]);
    const report = await rig.drainAndReport("line-reply-dropped", load.events, { timeoutMs: 90_000 });

    expect(rig.line.outcomes.get("dropped") ?? 0, "the fake LINE API dropped no connection").toBeGreaterThan(0);
    expect(bot.exit).toBeNull();
    expectExactlyOnceInOrder(report);
  });
});
