import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder, round } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled, numberFromEnv } from "./support/fault-rig.js";
import { percentile } from "../support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// Two bot processes (APP_ROLE=all) on one database behind a load balancer: each resident's
// consecutive events go alternately to the two. All are answered once, in order; and an event that
// can go once the resident's previous answer is out waits for no poll of the other process and no
// outbox sweep (issue 12: up to 1 s).
// - Residents typing (the next message 100–300 ms after the previous was acked): next-event
//   latency p99 < 50 ms (FAULT_NEXT_EVENT_P99_MS to change), at a load the 2-core CI machine
//   carries with room to spare, after a warm-up (a process's first events run cold code).
// - Residents sending two messages at once (a text and a sticker, 0–10 ms apart), so the second
//   reaches one process while the other is still handling or answering the first: none waits for a
//   poll or a sweep (next-event latency under FAULT_NO_POLL_MS, default 500 ms; the poll is 1 s
//   and the sweep 2 s). Its p99 is printed: on a machine this small each hop also waits its turn
//   for a core.
const p99LimitMs = numberFromEnv("FAULT_NEXT_EVENT_P99_MS", 50);
const noPollLimitMs = numberFromEnv("FAULT_NO_POLL_MS", 500);

describe.runIf(faultSuiteEnabled)("two processes on one database", () => {
  let rig: FaultRig;
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("answers a resident's events sent alternately to both once, in order, without waiting for a poll", async () => {
    rig.printOutputOnFailure();
    const a = await rig.startBot("A", { databaseUrl: rig.databaseUrl(true) });
    const b = await rig.startBot("B", { databaseUrl: rig.databaseUrl(true) });
    const targets = [a.url, b.url];
    const warmUp = new ResidentLoad({ line: rig.line, targets, residents: 10, eventsPerResident: 10, thinkMs: [0, 10], seed: 3 });
    await warmUp.done;
    expectExactlyOnceInOrder(await rig.drainAndReport("cross-process warm-up", warmUp.events, { timeoutMs: 60_000 }));

    const typing = new ResidentLoad({ line: rig.line, targets, residents: 6, eventsPerResident: 30, thinkMs: [100, 300], seed: 5 });
    await typing.done;
    const typed = await rig.drainAndReport("cross-process typing", typing.events, { timeoutMs: 60_000 });
    const pairs = new ResidentLoad({ line: rig.line, targets, residents: 6, eventsPerResident: 20, thinkMs: [200, 400], burst: 2, seed: 9 });
    await pairs.done;
    const paired = await rig.drainAndReport("cross-process pairs", pairs.events, { timeoutMs: 60_000 });
    for (const [name, report] of [["typing", typed], ["two at once", paired]] as const) {
      const latency = report.nextEventLatencyMs;
      process.stdout.write(`[faults] cross-process next-event latency, ${name}: p50=${round(percentile(latency, 50))} ms p99=${round(percentile(latency, 99))} ms max=${round(Math.max(...latency))} ms (n=${latency.length})\n`);
    }

    expect(a.exit).toBeNull();
    expect(b.exit).toBeNull();
    expectExactlyOnceInOrder(typed);
    expectExactlyOnceInOrder(paired);
    expect(percentile(typed.nextEventLatencyMs, 99), "cross-process next-event latency p99 (ms), residents typing").toBeLessThan(p99LimitMs);
    expect(Math.max(...paired.nextEventLatencyMs), "longest cross-process next-event wait (ms), two messages at once").toBeLessThan(noPollLimitMs);
  });
});
