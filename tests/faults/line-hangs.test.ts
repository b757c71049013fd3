import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { sleep } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// LINE stops answering for 10 s: sends are accepted on the socket and never answered (nothing is
// delivered), and those connections stay open. The bot must give up on such a call by a timeout of
// its own and send again (issue 12: no timeout on calls to LINE), so every answer still arrives
// once, in order, after LINE answers again.
describe.runIf(faultSuiteEnabled)("LINE hangs for 10 s", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("times out the hung calls and delivers every answer once, in order", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, durationMs: 20_000, thinkMs: [200, 400] });
    await sleep(3_000);
    rig.line.hang(true);
    await sleep(10_000);
    rig.line.hang(false);
    await load.done;
    const report = await rig.drainAndReport("line-hangs", load.events, { timeoutMs: 60_000 });

    expect(rig.line.outcomes.get("hung") ?? 0, "no send reached the hung LINE API").toBeGreaterThan(0);
    expect(bot.exit).toBeNull();
    expectExactlyOnceInOrder(report);
  });
});
