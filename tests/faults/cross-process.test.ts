import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder, round } from "./support/delivery-checks.js";
import { FaultRig, faultSuiteEnabled, numberFromEnv } from "./support/fault-rig.js";
import { percentile } from "./support/numbers.js";
import { ResidentLoad } from "./support/resident-load.js";

// Two bot processes (APP_ROLE=all) on one database behind a load balancer: each resident's
// consecutive events go alternately to the two, the next one right after the previous was acked.
// All are answered once, in order; and an event that can go once the resident's previous answer
// is out does not wait for the other process's poll (issue 12: up to 1 s; asked for: p99 < 50 ms,
// FAULT_NEXT_EVENT_P99_MS to change).
const p99LimitMs = numberFromEnv("FAULT_NEXT_EVENT_P99_MS", 50);

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
    const load = new ResidentLoad({ line: rig.line, targets: [a.url, b.url], residents: 20, eventsPerResident: 10, thinkMs: [0, 10] });
    await load.done;
    const report = await rig.drainAndReport("cross-process", load.events, { timeoutMs: 60_000 });
    const p50 = percentile(report.nextEventLatencyMs, 50);
    const p99 = percentile(report.nextEventLatencyMs, 99);
    process.stdout.write(`[faults] cross-process next-event latency: p50=${round(p50)} ms p99=${round(p99)} ms max=${round(Math.max(...report.nextEventLatencyMs))} ms (n=${report.nextEventLatencyMs.length})\n`);

    expect(a.exit).toBeNull();
    expect(b.exit).toBeNull();
    expectExactlyOnceInOrder(report);
    expect(p99, "cross-process next-event latency p99 (ms)").toBeLessThan(p99LimitMs);
  });
});
