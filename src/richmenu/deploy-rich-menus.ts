import type { messagingApi } from "@line/bot-sdk";
import type { RichMenuApi } from "../line/rich-menu-api.js";
import { aliasIdOfName, type DesiredMenu } from "./rich-menu-object.js";

// Brings LINE's rich menus to what seeds/richmenus says, and can be run any number of times:
// a menu whose fingerprinted name already exists is reused (its image uploaded if an earlier run
// stopped before that), so a run after a finished run changes nothing. Order matters to residents:
// new menus are complete (object + image) before an alias or the default points at them, and an
// old menu of ours is deleted only after the aliases and the default have moved away from it and
// the residents linked to it have been moved to its successor.
export interface DeployReport {
  created: string[];
  uploaded: string[];
  aliasesCreated: string[];
  aliasesMoved: string[];
  defaultSet: string | null;
  deleted: string[];
  unchanged: string[];
}

export async function deployRichMenus(api: RichMenuApi, desired: DesiredMenu[], say: (line: string) => void = () => undefined): Promise<DeployReport> {
  const report: DeployReport = { created: [], uploaded: [], aliasesCreated: [], aliasesMoved: [], defaultSet: null, deleted: [], unchanged: [] };
  const existing = await api.list();
  const aliasTargets = new Map((await api.aliases()).map((alias) => [alias.richMenuAliasId, alias.richMenuId]));

  // 1. Reuse what an earlier run made; validate everything that must be made before making any.
  const kept = new Map<string, string>();
  const toCreate: DesiredMenu[] = [];
  for (const menu of desired) {
    const same = existing.filter((candidate) => candidate.name === menu.name);
    const reuse = same.find((candidate) => candidate.richMenuId === aliasTargets.get(menu.aliasId)) ?? same[0];
    if (!reuse) {
      toCreate.push(menu);
      continue;
    }
    kept.set(menu.aliasId, reuse.richMenuId);
    if (reuse.richMenuId !== aliasTargets.get(menu.aliasId) && !(await api.hasImage(reuse.richMenuId))) {
      await upload(menu, reuse.richMenuId);
    } else if (reuse.richMenuId === aliasTargets.get(menu.aliasId)) {
      report.unchanged.push(menu.name);
      say(`${menu.aliasId}: unchanged (${reuse.richMenuId})`);
    }
  }
  for (const menu of toCreate) await api.validate(menu.request);

  // 2. New menus, each with its image (an image cannot be replaced later: LINE keeps the first).
  for (const menu of toCreate) {
    const richMenuId = await api.create(menu.request);
    report.created.push(menu.name);
    say(`${menu.aliasId}: created ${richMenuId} (${menu.name})`);
    kept.set(menu.aliasId, richMenuId);
    await upload(menu, richMenuId);
  }

  // 3. Aliases (what the tabs switch to) and the default menu point at the complete menus.
  for (const menu of desired) {
    const target = kept.get(menu.aliasId)!;
    const current = aliasTargets.get(menu.aliasId);
    if (current === target) continue;
    if (current === undefined) {
      await api.createAlias(menu.aliasId, target);
      report.aliasesCreated.push(menu.aliasId);
      say(`${menu.aliasId}: alias created → ${target}`);
    } else {
      await api.updateAlias(menu.aliasId, target);
      report.aliasesMoved.push(menu.aliasId);
      say(`${menu.aliasId}: alias moved ${current} → ${target}`);
    }
    aliasTargets.set(menu.aliasId, target);
  }
  const defaultMenu = desired.find((menu) => menu.isDefault);
  if (defaultMenu) {
    const target = kept.get(defaultMenu.aliasId)!;
    if ((await api.defaultMenuId()) !== target) {
      await api.setDefault(target);
      report.defaultSet = target;
      say(`${defaultMenu.aliasId}: set as the default menu for everyone (${target})`);
    }
  }

  // 4. Old menus of ours: residents linked to one move to its successor, then it goes.
  const keptIds = new Set(kept.values());
  const pointedAt = new Set(aliasTargets.values());
  for (const old of existing.filter((menu) => isOurs(menu, kept) && !keptIds.has(menu.richMenuId))) {
    if (pointedAt.has(old.richMenuId)) {
      say(`${old.richMenuId} (${old.name}): kept, an alias not in seeds/richmenus still points at it`);
      continue;
    }
    await api.relink(old.richMenuId, kept.get(aliasIdOfName(old.name)!)!);
    await api.remove(old.richMenuId);
    report.deleted.push(old.name);
    say(`${aliasIdOfName(old.name)}: deleted the old ${old.richMenuId} (${old.name})`);
  }

  say(
    `done: ${report.created.length} created, ${report.uploaded.length} images uploaded, ` +
      `${report.aliasesCreated.length + report.aliasesMoved.length} aliases set, default ${report.defaultSet ? "set" : "unchanged"}, ` +
      `${report.deleted.length} old deleted, ${report.unchanged.length} unchanged`,
  );
  return report;

  async function upload(menu: DesiredMenu, richMenuId: string): Promise<void> {
    await api.uploadImage(richMenuId, menu.image, "image/png");
    report.uploaded.push(menu.name);
    say(`${menu.aliasId}: image uploaded to ${richMenuId} (${Math.round(menu.image.length / 1024)} KB)`);
  }
}

// A menu this deploy made for one of the aliases it manages; anything else on the channel (made
// by hand in LINE Official Account Manager, or by another tool) is left alone.
function isOurs(menu: messagingApi.RichMenuResponse, kept: Map<string, string>): boolean {
  const aliasId = aliasIdOfName(menu.name);
  return aliasId !== null && kept.has(aliasId);
}
