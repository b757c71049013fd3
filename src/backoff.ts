// Exponential backoff with full jitter: attempt 1 waits up to baseMs, attempt n up to
// baseMs * 2^(n-1), never more than maxMs. Jitter spreads retries of many rows that failed together.
export function retryDelayMs(attempt: number, options: { baseMs: number; maxMs: number }, random = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
