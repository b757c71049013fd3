import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";

// Worker ids are `<host>:<pid>:<random>` (defaultWorkerOptions). A process that was killed
// (kill -9, a crash, a container restart) leaves its claimed events and answers behind until their
// leases run out, up to a minute; a resident's reply token is dead by then. A process starting on
// the same host can tell which of those claimers are gone: their pid no longer runs, or it is its
// own pid (a restarted container numbers its processes alike). Their claims end now, so the work
// is taken up at once. Claims of live processes, and of other hosts, wait for their leases.
export function claimerIsGone(claimedBy: string, self: { host: string; pid: number; workerId: string }, isAlive: (pid: number) => boolean): boolean {
  const parts = claimedBy.split(":");
  if (parts.length < 3) return false;
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(":");
  if (host !== self.host || !Number.isInteger(pid) || pid <= 0 || claimedBy === self.workerId) return false;
  return pid === self.pid || !isAlive(pid);
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function releaseClaimsOfGoneProcesses(db: Kysely<Database>, workerId: string, log: Logger): Promise<void> {
  const self = { host: hostname(), pid: process.pid, workerId };
  const prefix = `${self.host}:%`;
  const { rows } = await sql<{ claimed_by: string }>`
    select distinct claimed_by from inbox_events where status = 'processing' and claimed_by like ${prefix}
    union
    select distinct claimed_by from outbound_messages where status = 'sending' and claimed_by like ${prefix}`.execute(db);
  const gone = rows.map((row) => row.claimed_by).filter((claimedBy) => claimerIsGone(claimedBy, self, pidIsAlive));
  if (gone.length === 0) return;
  const events = await sql`update inbox_events set lease_expires_at = now() - interval '1 millisecond'
    where status = 'processing' and claimed_by in (${sql.join(gone)})`.execute(db);
  const answers = await sql`update outbound_messages set lease_expires_at = now() - interval '1 millisecond'
    where status = 'sending' and claimed_by in (${sql.join(gone)})`.execute(db);
  log.warn({ claimers: gone.length, events: Number(events.numAffectedRows ?? 0), answers: Number(answers.numAffectedRows ?? 0) }, "work left by stopped processes taken up");
}
