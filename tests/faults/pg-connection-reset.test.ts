import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { sleep } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// A Postgres restart, a failover or an idle reset by the network drops every open connection.
// The bot must keep running, answer webhooks 200 or 503 (never 500), and answer every acked event
// once, in order (issue 12: the unhandled pool 'error' ended the process within ~80 ms).
describe.runIf(faultSuiteEnabled)("Postgres connections reset mid-load", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("survives four resets and answers every acked event once, in order", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot");
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, durationMs: 15_000, thinkMs: [100, 300], redeliver: { delayMs: 1_000, giveUpMs: 30_000 } });
    const cut: number[] = [];
    for (let index = 0; index < 4; index += 1) {
      await sleep(3_000);
      cut.push(rig.proxy.cut());
    }
    await Promise.race([load.done, bot.exited.then(() => load.abandon())]);
    await load.stop();
    const report = await rig.drainAndReport("pg-connection-reset", load.events, { timeoutMs: 90_000, extra: { connectionsCut: cut.join("+") } });

    expect(bot.exit, "the bot process ended after a connection reset").toBeNull();
    expect((await bot.readiness()).status).toBe(200);
    expect(Object.keys(report.statuses).filter((status) => status !== "200" && status !== "503"), "webhook answers other than 200 and 503").toEqual([]);
    expectExactlyOnceInOrder(report);
  });
});
