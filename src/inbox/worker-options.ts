import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { OutboundClaim } from "../outbox/outbox.js";
import { retryDelayMs } from "../backoff.js";
import { defaultPaceOptions, type PaceOptions } from "./event-loop-pace.js";

export interface InboxWorkerOptions {
  workerId: string;
  // Most events claimed by one query.
  batchSize: number;
  // Most events handled at once (each holds a database connection while in its transaction).
  concurrency: number;
  // Most answers being sent at once after their commit (they hold no connection, but bound what
  // a slow LINE API can pile up here).
  maxSending: number;
  leaseMs: number;
  maxAttempts: number;
  pollIntervalMs: number;
  backoff: (attempt: number) => number;
  // The dispatcher's identity: answers are written already claimed by it and sent at once after
  // commit (no claim round trip). Without it they are written pending for afterCommit to deliver.
  sendAs?: OutboundClaim;
  // Fewer events at once while this process's event loop lags (event-loop-pace.ts), so that the
  // webhook beside the worker keeps answering; null: `concurrency` whatever the lag.
  pace: PaceOptions | null;
}

export const defaultWorkerOptions = (): InboxWorkerOptions => ({
  workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
  batchSize: 20,
  concurrency: 8,
  maxSending: 64,
  leaseMs: 60_000,
  maxAttempts: 5,
  pollIntervalMs: 1_000,
  backoff: (attempt) => retryDelayMs(attempt, { baseMs: 1_000, maxMs: 60_000 }),
  pace: defaultPaceOptions(),
});
