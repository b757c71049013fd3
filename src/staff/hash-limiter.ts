import pLimit from "p-limit";

// At most `concurrency` password hashes at a time in this process (each OWASP scrypt takes 128 MiB
// and a core for a few hundred ms), and at most `maxWaiting` more in line: a burst of parallel
// guesses gets "busy" answers instead of exhausting memory or the threadpool.
export interface HashLimits {
  concurrency: number;
  maxWaiting: number;
}

export const DEFAULT_HASH_LIMITS: HashLimits = { concurrency: 2, maxWaiting: 16 };

export class HashQueueFull extends Error {
  constructor() {
    super("too many password checks waiting");
  }
}

export interface HashLimiter {
  // Runs `task` when a slot is free; throws HashQueueFull at once when the line is full.
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createHashLimiter(limits: HashLimits = DEFAULT_HASH_LIMITS): HashLimiter {
  const limit = pLimit(limits.concurrency);
  return {
    run(task) {
      if (limit.activeCount + limit.pendingCount >= limits.concurrency + limits.maxWaiting) return Promise.reject(new HashQueueFull());
      return limit(task);
    },
  };
}
