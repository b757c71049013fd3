import { describe, expect, it } from "vitest";
import { EventLoopPace, defaultPaceOptions, nextSlots } from "../../src/inbox/event-loop-pace.js";
import { parseStoredElsewhere } from "../../src/inbox/inbox-channel.js";
import { NextEventWatch } from "../../src/inbox/next-event-watch.js";
import { RecentUsers } from "../../src/inbox/recent-users.js";

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
    watch.started("U1");
    expect(watch.told("U1", true)).toBe(false);
    expect(watch.committed("U1")).toBe(true);
    expect(watch.ended("U1")).toBe(false);
  });

  it("is claimed at once if told after the earlier one committed, or just after it ended", () => {
    const watch = new NextEventWatch();
    watch.started("U1");
    watch.committed("U1");
    expect(watch.told("U1", true)).toBe(true);
    watch.ended("U1");
    expect(watch.told("U1", false)).toBe(true);
  });

  it("is claimed when the earlier one ends, if told before this worker's claim of the earlier one returned", () => {
    const watch = new NextEventWatch();
    expect(watch.told("U1", false)).toBe(false);
    watch.started("U1");
    expect(watch.committed("U1")).toBe(false);
    expect(watch.ended("U1")).toBe(true);
  });

  it("is claimed when the earlier one commits if the claim said a later one waits", () => {
    const watch = new NextEventWatch();
    watch.expect("U1");
    watch.started("U1");
    expect(watch.committed("U1")).toBe(true);
  });
});
