import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder } from "./support/delivery-checks.js";
import { openWork } from "./support/fault-database.js";
import { FaultRig, faultSuiteEnabled } from "./support/fault-rig.js";
import { preciseNow, sleep } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// SIGTERM (a deploy, a scale-in) while residents keep two kept-alive connections busy. The bot must
// tell those connections to close (Connection: close), stop taking work, finish the events and
// sends in progress and exit 0 within 15 s, leaving nothing mid-handling (issue 12: it kept acking
// on the busy connection until the forced exit at 15 s, exit 1). After a restart, every acked event
// is answered once, in order.
const EXIT_LIMIT_MS = 15_000;
// Responses written before the signal arrived may still be on their way for a moment.
const SIGNAL_MARGIN_MS = 250;

describe.runIf(faultSuiteEnabled)("SIGTERM under load with busy kept-alive connections", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("closes kept-alive connections, exits 0 within 15 s with nothing mid-handling, and loses nothing", async () => {
    rig.printOutputOnFailure();
    const first = await rig.startBot("bot");
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const load = new ResidentLoad({ line: rig.line, targets: [first.url], residents: 8, thinkMs: [0, 20], agent, redeliver: { delayMs: 500, giveUpMs: 90_000 } });
    await sleep(5_000);
    const sigtermAt = preciseNow();
    const exit = await first.stop("SIGTERM", 20_000);
    const work = await openWork(rig.database);
    const afterSignal = load.attempts().filter((attempt) => attempt.status === 200 && attempt.endedAt > sigtermAt + SIGNAL_MARGIN_MS);
    const keptAlive = afterSignal.filter((attempt) => !attempt.connectionClose);

    const bot = await rig.restart(first, "bot after restart");
    await sleep(3_000);
    await load.stop();
    agent.destroy();
    const report = await rig.drainAndReport("sigterm-under-load", load.events, {
      timeoutMs: 150_000,
      extra: { exitCode: exit.code, exitS: exit.ms / 1000, acksAfterSigterm: afterSignal.length, keptAliveAfterSigterm: keptAlive.length, processingAtExit: work.inboxProcessing, sendingAtExit: work.outboxSending },
    });

    expect(exit.code, "exit code after SIGTERM").toBe(0);
    expect(exit.ms, "ms from SIGTERM to exit").toBeLessThanOrEqual(EXIT_LIMIT_MS);
    expect(keptAlive.length, "200s after SIGTERM without Connection: close").toBe(0);
    expect({ processing: work.inboxProcessing, sending: work.outboxSending }, "events and answers left mid-handling at exit").toEqual({ processing: 0, sending: 0 });
    expect(bot.exit).toBeNull();
    expectExactlyOnceInOrder(report);
  });
});
