import { describe, expect, it } from "vitest";
import { createHashLimiter, HashQueueFull } from "../../src/staff/hash-limiter.js";

// The cap on concurrent password hashes: never more than `concurrency` at once, at most
// `maxWaiting` in line, the rest refused at once.
describe("hash limiter", () => {
  it("runs at most `concurrency` tasks at once and refuses beyond the line", async () => {
    const limiter = createHashLimiter({ concurrency: 2, maxWaiting: 3 });
    let running = 0;
    let most = 0;
    const task = async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return "checked";
    };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => limiter.run(task)));
    expect(most).toBe(2);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(5);
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
    expect(refused).toHaveLength(3);
    for (const result of refused) expect(result.reason).toBeInstanceOf(HashQueueFull);
    // Once the line has drained, tasks run again.
    expect(await limiter.run(task)).toBe("checked");
  });

  it("frees the slot of a task that failed", async () => {
    const limiter = createHashLimiter({ concurrency: 1, maxWaiting: 0 });
    await expect(limiter.run(() => Promise.reject(new Error("scrypt failed")))).rejects.toThrow("scrypt failed");
    expect(await limiter.run(async () => 1)).toBe(1);
  });
});
