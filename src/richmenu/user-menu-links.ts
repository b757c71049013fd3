import { sql, type Kysely, type Transaction } from "kysely";
import { retryDelayMs } from "../backoff.js";
import type { UserRichMenuApi } from "../line/user-rich-menu-client.js";
import type { Logger } from "../logger.js";
import type { Database } from "../store/database.js";

type Db = Kysely<Database> | Transaction<Database>;

// Which rich menu each resident should see, told to LINE by a job rather than inside the webhook
// handler: a resident's choice is saved with the profile at once, and LINE being down or slow
// only delays the menu (retried with backoff), never the answer or the saved profile.

// Records the menu the resident should now see (an alias; null: the default menu). Due at once
// when it differs from what LINE was last told; nothing is stored for a resident who never had
// anything but the default.
export async function requestRichMenu(db: Db, userId: string, alias: string | null, at: Date): Promise<void> {
  if (alias === null) {
    await db
      .updateTable("rich_menu_links")
      .set({ wanted_alias: null, due_at: sql`case when linked_alias is null then null else ${at}::timestamptz end`, attempts: 0, last_error: null, updated_at: at })
      .where("user_id", "=", userId)
      .execute();
    return;
  }
  await db
    .insertInto("rich_menu_links")
    .values({ user_id: userId, wanted_alias: alias, due_at: at, updated_at: at })
    .onConflict((conflict) =>
      conflict.column("user_id").doUpdateSet({
        wanted_alias: alias,
        due_at: sql`case when rich_menu_links.linked_alias is not distinct from ${alias}::text then null else ${at}::timestamptz end`,
        attempts: 0,
        last_error: null,
        updated_at: at,
      }),
    )
    .execute();
}

export interface MenuSyncOptions {
  batchSize: number;
  // How long a claimed row is left to one process before another may take it (a crash mid-call).
  leaseMs: number;
  // Wait before retrying after LINE answered 429/5xx or did not answer.
  retryDelayMs: (attempt: number) => number;
  // An alias LINE does not know (menus not deployed yet): look again this much later, quietly.
  aliasRecheckMs: number;
}

export const defaultMenuSyncOptions: MenuSyncOptions = {
  batchSize: 50,
  leaseMs: 60_000,
  retryDelayMs: (attempt) => retryDelayMs(attempt, { baseMs: 30_000, maxMs: 60 * 60_000 }),
  aliasRecheckMs: 6 * 60 * 60_000,
};

export interface MenuSyncResult {
  linked: number;
  unlinked: number;
  retrying: number;
  failed: number;
}

// The job: claims due rows, resolves each alias once per run, links or unlinks, and records
// the outcome. An unknown alias is logged once per process, not at every run.
export function createMenuSync(db: Kysely<Database>, api: UserRichMenuApi, log: Logger, options: Partial<MenuSyncOptions> = {}) {
  const settings = { ...defaultMenuSyncOptions, ...options };
  const missingAliasesLogged = new Set<string>();
  return async function syncDueRichMenus(now: Date): Promise<MenuSyncResult> {
    const result: MenuSyncResult = { linked: 0, unlinked: 0, retrying: 0, failed: 0 };
    const claimed = await db
      .updateTable("rich_menu_links")
      .set({ due_at: new Date(now.getTime() + settings.leaseMs) })
      .where(
        "user_id",
        "in",
        db.selectFrom("rich_menu_links").select("user_id").where("due_at", "<=", now).orderBy("due_at").limit(settings.batchSize).forUpdate().skipLocked(),
      )
      .returning(["user_id", "wanted_alias", "attempts"])
      .execute();
    const aliases = new Map<string, Awaited<ReturnType<UserRichMenuApi["resolveAlias"]>>>();
    for (const row of claimed) {
      const wanted = row.wanted_alias;
      let outcome;
      if (wanted === null) {
        outcome = await api.unlink(row.user_id);
      } else {
        if (!aliases.has(wanted)) aliases.set(wanted, await api.resolveAlias(wanted));
        const lookup = aliases.get(wanted)!;
        if (lookup.kind === "rejected") {
          if (!missingAliasesLogged.has(wanted)) log.warn({ alias: wanted, status: lookup.status }, "rich menu alias unknown to LINE: deploy the rich menus; residents keep the default menu until then");
          missingAliasesLogged.add(wanted);
          await settle(row.user_id, wanted, { due_at: new Date(now.getTime() + settings.aliasRecheckMs), last_error: `alias ${wanted}: ${lookup.error}` });
          result.failed += 1;
          continue;
        }
        missingAliasesLogged.delete(wanted);
        outcome = lookup.kind === "found" ? await api.link(row.user_id, lookup.richMenuId) : lookup;
      }
      if (outcome.kind === "sent") {
        await markSynced(row.user_id, wanted, now);
        result[wanted === null ? "unlinked" : "linked"] += 1;
      } else if (outcome.kind === "retry") {
        const attempts = row.attempts + 1;
        await settle(row.user_id, wanted, { due_at: new Date(now.getTime() + settings.retryDelayMs(attempts)), attempts, last_error: outcome.error });
        log.info({ userId: row.user_id, attempts, error: outcome.error }, "rich menu not set yet; will retry");
        result.retrying += 1;
      } else {
        // LINE refuses (the user blocked the account, say): trying again would fail the same way.
        await settle(row.user_id, wanted, { due_at: null, last_error: outcome.error });
        log.warn({ userId: row.user_id, error: outcome.error }, "LINE refused to set the rich menu; not retrying");
        result.failed += 1;
      }
    }
    return result;
  };

  // The outcome of what was attempted, unless the resident changed their mind meanwhile: then the
  // row is due again at once for the new choice.
  async function settle(userId: string, attempted: string | null, change: { due_at: Date | null; attempts?: number; last_error: string }) {
    await db
      .updateTable("rich_menu_links")
      .set({ ...change, due_at: sql`case when wanted_alias is not distinct from ${attempted}::text then ${change.due_at}::timestamptz else now() end` })
      .where("user_id", "=", userId)
      .execute();
  }

  async function markSynced(userId: string, attempted: string | null, now: Date) {
    // Back on the default menu and nothing else wanted: there is nothing left to remember.
    if (attempted === null) {
      const dropped = await db.deleteFrom("rich_menu_links").where("user_id", "=", userId).where("wanted_alias", "is", null).executeTakeFirst();
      if (Number(dropped.numDeletedRows) > 0) return;
    }
    await db
      .updateTable("rich_menu_links")
      .set({
        linked_alias: attempted,
        synced_at: now,
        attempts: 0,
        last_error: null,
        due_at: sql`case when wanted_alias is not distinct from ${attempted}::text then null else now() end`,
      })
      .where("user_id", "=", userId)
      .execute();
  }
}
