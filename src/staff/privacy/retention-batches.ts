// Rows per statement of the retention job and the erasure: small enough that no statement holds
// many locks or a long transaction on a city-scale table (README, "Personal data").
export const RETENTION_BATCH = 500;

// Runs `batch` (which handles up to RETENTION_BATCH rows and says how many) until it finds less
// than a full batch or `maxBatches` ran: what is left waits for the job's next run.
export async function inBatches(batch: () => Promise<number>, maxBatches: number): Promise<number> {
  let total = 0;
  for (let run = 0; run < maxBatches; run += 1) {
    const handled = await batch();
    total += handled;
    if (handled < RETENTION_BATCH) break;
  }
  return total;
}
