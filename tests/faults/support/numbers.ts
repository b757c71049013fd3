// Timing helpers of the fault tests (a seeded generator and percentiles: tests/support/numbers.ts).

// Milliseconds since the epoch with sub-millisecond precision (the same clock in every module of
// the test process).
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
