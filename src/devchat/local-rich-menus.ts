import type { Logger } from "../logger.js";
import type { DeployReport } from "../richmenu/deploy-rich-menus.js";
import { deploySeedRichMenus } from "../richmenu/run-deploy.js";

// Local mode starts with a fresh stand-in for the LINE API, without rich menus: the menus of
// seeds/richmenus are deployed to it at every start by the deploy `npm run richmenu:deploy` runs,
// so the chat page shows them and per-user menus (受信設定) can be linked. A menu that cannot be
// loaded (an image older than its YAML, say) leaves the chat without a menu, not the bot stopped.
export async function deployLocalRichMenus(
  line: { channelAccessToken: string; apiBaseUrl: string; dataApiBaseUrl: string },
  log: Logger,
  dir?: string,
): Promise<DeployReport | null> {
  try {
    const report = await deploySeedRichMenus(line, { ...(dir === undefined ? {} : { dir }), batchPollMs: 0, say: (step) => log.debug({ step }, "local rich menu deploy") });
    log.info({ menus: report.created.length + report.unchanged.length, defaultSet: report.defaultSet }, "rich menus deployed to the local LINE stand-in");
    return report;
  } catch (error) {
    log.warn({ reason: error instanceof Error ? error.message : String(error) }, "the rich menus were not deployed to the local LINE stand-in: the chat page shows none until this is fixed");
    return null;
  }
}
