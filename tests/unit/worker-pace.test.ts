import { describe, expect, it } from "vitest";
import { EventLoopPace, defaultPaceOptions, nextSlots } from "../../src/inbox/event-loop-pace.js";
import { parseStoredElsewhere } from "../../src/inbox/inbox-channel.js";
import { NextEventWatch } from "../../src/inbox/next-event-watch.js";
import { RecentUsers } from "../../src/recent-users.js";
import { answersWaitingPayloads, parseAnswersWaiting } from "../../src/outbox/outbox-channel.js";
import { SendLanes } from "../../src/outbox/send-lanes.js";

// The worker beside a webhook takes fewer events while the event loop lags (event-loop-pace.ts),
// never none, and takes more again, one at a time, once the loop is quick.
describe("the worker's pace", () => {
  const options = { highLagMs: 30, lowLagMs: 10 };

  it("halves its slots when the loop lags, down to one and never none", () => {
    expect(nextSlots(8, 45, 8, options)).toBe(4);
    expect(nextSlots(4, 200, 8, options)).toBe(2);
    expect(nextSlots(1, 500, 8, options)).toBe(1);
  });

  it("takes one more slot when the loop is quick, up to its concurrency, and holds in between", () => {
    expect(nextSlots(1, 2, 8, options)).toBe(2);
    expect(nextSlots(8, 2, 8, options)).toBe(8);
    expect(nextSlots(3, 20, 8, options)).toBe(3);
  });

  it("acts on a lagging sample at once, counts as congested for a while, and recovers after quick windows", () => {
    let now = 0;
    const pace = new EventLoopPace(8, defaultPaceOptions(), () => now);
    expect(pace.slots).toBe(8);
    expect(pace.congested).toBe(false);
    pace.record(120);
    expect(pace.slots).toBe(4);
    expect(pace.congested).toBe(true);
    pace.record(80);
    pace.record(80);
    expect(pace.slots).toBe(1);
    // Quick again: after the congestion window, one more slot per window of quick samples.
    now += defaultPaceOptions().congestedForMs + 1;
    expect(pace.congested).toBe(false);
    for (let sample = 0; sample < 5 * defaultPaceOptions().samplesPerDecision; sample += 1) pace.record(1);
    expect(pace.slots).toBe(6);
  });
});

describe("the worker's pace on a shared machine", () => {
  it("does not count a late timer while the loop was mostly idle (other processes held the cores)", () => {
    const pace = new EventLoopPace(8, defaultPaceOptions(), () => 0);
    pace.record(120, 0.2);
    expect(pace.slots).toBe(8);
    expect(pace.congested).toBe(false);
    pace.record(120, 0.95);
    expect(pace.slots).toBe(4);
    expect(pace.congested).toBe(true);
  });
});

describe("answers waiting between processes", () => {
  it("tells of at most 150 residents per notice and reads them back", () => {
    const users = Array.from({ length: 320 }, (_, index) => `U${String(index).padStart(32, "0")}`);
    const payloads = answersWaitingPayloads("p1", users);
    expect(payloads).toHaveLength(3);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
    expect(payloads.flatMap((payload) => parseAnswersWaiting(payload)!.userIds)).toEqual(users);
    expect(parseAnswersWaiting(payloads[0]!)!.from).toBe("p1");
    expect(parseAnswersWaiting("{}")).toBeNull();
    expect(parseAnswersWaiting("not json")).toBeNull();
  });
});

describe("a resident's send lane", () => {
  it("starts each send once LINE answered the previous one, before that one's mark is written", async () => {
    const lanes = new SendLanes();
    const order: string[] = [];
    let markFirst!: () => void;
    const firstMarked = new Promise<void>((resolve) => (markFirst = resolve));
    const first = lanes.run("U1", async (reached) => {
      order.push("send 1");
      reached();
      await firstMarked;
      order.push("marked 1");
    });
    const second = lanes.run("U1", async (reached) => {
      order.push("send 2");
      reached();
    });
    await second;
    expect(order).toEqual(["send 1", "send 2"]);
    expect(lanes.busy("U1")).toBe(true);
    markFirst();
    await first;
    expect(order).toEqual(["send 1", "send 2", "marked 1"]);
    expect(lanes.busy("U1")).toBe(false);
  });

  it("keeps a resident's later send waiting until the earlier one reached LINE, others go side by side", async () => {
    const lanes = new SendLanes();
    const order: string[] = [];
    let reachFirst!: () => void;
    const first = lanes.run("U1", (reached) => new Promise<void>((resolve) => (reachFirst = () => (order.push("U1 a"), reached(), resolve()))));
    const later = lanes.run("U1", async () => void order.push("U1 b"));
    await lanes.run("U2", async () => void order.push("U2 a"));
    expect(order).toEqual(["U2 a"]);
    reachFirst();
    await Promise.all([first, later]);
    expect(order).toEqual(["U2 a", "U1 a", "U1 b"]);
  });

  it("remembers that an answer went back to wait until the resident's earliest answer reaches LINE", () => {
    const lanes = new SendLanes();
    expect(lanes.mayBeBehind("U1")).toBe(false);
    lanes.wentBack("U1");
    expect(lanes.mayBeBehind("U1")).toBe(true);
    lanes.caughtUp("U1");
    expect(lanes.mayBeBehind("U1")).toBe(false);
  });
});

describe("inbox notices between processes", () => {
  it("reads who stored what, and treats an unlisted or unknown notice as needing room", () => {
    expect(parseStoredElsewhere('{"from":"a","users":["U1"],"room":false}')).toEqual({ from: "a", userIds: ["U1"], needsRoom: false });
    expect(parseStoredElsewhere('{"from":"a","users":null,"room":false}')).toEqual({ from: "a", userIds: null, needsRoom: true });
    expect(parseStoredElsewhere("not json")).toBeNull();
    expect(parseStoredElsewhere('{"users":[]}')).toBeNull();
  });

  it("remembers users for a while only", () => {
    let now = 0;
    const recent = new RecentUsers(2_000, () => now);
    recent.add("U1");
    now = 1_500;
    recent.add("U2");
    expect(recent.has("U1")).toBe(true);
    now = 2_500;
    expect(recent.has("U1")).toBe(false);
    expect(recent.take("U2")).toBe(true);
    expect(recent.has("U2")).toBe(false);
  });
});

// When the worker claims a resident's next event, told of it at any point of the earlier one's life.
describe("a resident's next event", () => {
  it("is claimed when the earlier one here commits, if told while that one was in its transaction", () => {
    const watch = new NextEventWatch();
    expect(watch.told("U1", true)).toBe(false);
    expect(watch.ended("U1")).toBe(true);
  });

  it("is claimed at once if told just after the earlier one committed", () => {
    const watch = new NextEventWatch();
    expect(watch.ended("U1")).toBe(false);
    expect(watch.told("U1", false)).toBe(true);
  });

  it("is claimed when the earlier one commits, if told before this worker's claim of the earlier one returned", () => {
    const watch = new NextEventWatch();
    expect(watch.told("U1", false)).toBe(false);
    expect(watch.ended("U1")).toBe(true);
    expect(watch.ended("U1")).toBe(false);
  });

  it("is claimed when the earlier one commits if the claim said a later one waits", () => {
    const watch = new NextEventWatch();
    watch.expect("U1");
    expect(watch.ended("U1")).toBe(true);
  });

  it("is not claimed for a notice about a resident this worker never had", () => {
    const watch = new NextEventWatch();
    expect(watch.told("U2", false)).toBe(false);
    expect(watch.ended("U1")).toBe(false);
  });
});
