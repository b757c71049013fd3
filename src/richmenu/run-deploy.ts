import { loadConfig } from "../config.js";
import { createRichMenuApi } from "../line/rich-menu-api.js";
import { deployRichMenus, type DeployReport } from "./deploy-rich-menus.js";
import { defaultRichMenuDir, loadRichMenus } from "./load-rich-menus.js";
import { desiredMenus } from "./rich-menu-object.js";

// npm run richmenu:deploy: the seeds' menus (checked, with current images) sent to the channel
// named by the environment (src/config.ts).
export async function runRichMenuDeploy(options: {
  env?: Record<string, string | undefined>;
  dir?: string;
  say?: (line: string) => void;
  batchPollMs?: number;
}): Promise<DeployReport> {
  const config = loadConfig(options.env ?? process.env);
  if (config.localMode) {
    throw new Error("LINE_CHANNEL_ACCESS_TOKEN is missing: set it and LINE_CHANNEL_SECRET to the channel's values (LINE Developers console) to deploy rich menus");
  }
  const { channelAccessToken, apiBaseUrl, dataApiBaseUrl } = config.line;
  return deploySeedRichMenus({ channelAccessToken, apiBaseUrl, dataApiBaseUrl }, options);
}

// The deploy itself, to the LINE API at these addresses: also how local mode puts the menus on its
// stand-in for the LINE API at every start.
export async function deploySeedRichMenus(
  line: { channelAccessToken: string; apiBaseUrl: string; dataApiBaseUrl: string },
  options: { dir?: string; say?: (line: string) => void; batchPollMs?: number } = {},
): Promise<DeployReport> {
  const desired = desiredMenus(await loadRichMenus(options.dir ?? defaultRichMenuDir));
  const api = createRichMenuApi({ ...line, ...(options.batchPollMs === undefined ? {} : { batchPollMs: options.batchPollMs }) });
  return deployRichMenus(api, desired, options.say);
}
