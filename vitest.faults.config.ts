import { defineConfig } from "vitest/config";

// `npm run test:faults`: black-box fault tests on the machine's Postgres (tests/faults). Each file
// starts bot processes, a TCP proxy and a fake LINE API of its own and measures timing, so the
// files run one at a time in one worker.
export default defineConfig({
  test: {
    include: ["tests/faults/**/*.test.ts"],
    fileParallelism: false,
    maxWorkers: 1,
    pool: "forks",
    testTimeout: 600_000,
    hookTimeout: 180_000,
    env: { FAULT_TESTS: "1" },
  },
});
