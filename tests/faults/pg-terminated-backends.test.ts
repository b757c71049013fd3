import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { terminateBotBackends } from "./support/fault-database.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { sleep } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// A DBA's pg_terminate_backend (or a failover tool doing the same) ends the bot's backends while
// residents are writing. The bot connects to Postgres directly here: the server itself ends the
// sessions (FATAL 57P01), not the network.
describe.runIf(faultSuiteEnabled)("the bot's Postgres backends terminated mid-load", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("survives four rounds of pg_terminate_backend and answers every acked event once, in order", async () => {
    rig.printOutputOnFailure();
    const bot = await rig.startBot("bot", { databaseUrl: rig.databaseUrl(true) });
    const load = new ResidentLoad({ line: rig.line, targets: [bot.url], residents: 10, durationMs: 15_000, thinkMs: [100, 300], redeliver: { delayMs: 1_000, giveUpMs: 30_000 } });
    const terminated: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      await sleep(3_000);
      terminated.push(await terminateBotBackends(rig.database));
    }
    await Promise.race([load.done, bot.exited.then(() => load.abandon())]);
    await load.stop();
    const report = await rig.drainAndReport("pg-terminated-backends", load.events, { timeoutMs: 90_000, extra: { backendsTerminated: terminated.join("+") } });

    expect(terminated.some((count) => count > 0), "no backend of the bot was found to terminate").toBe(true);
    expect(bot.exit, "the bot process ended after its backends were terminated").toBeNull();
    expect((await bot.readiness()).status).toBe(200);
    expect(Object.keys(report.statuses).filter((status) => status !== "200" && status !== "503"), "webhook answers other than 200 and 503").toEqual([]);
    expectExactlyOnceInOrder(report);
  });
});
