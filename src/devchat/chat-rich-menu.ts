import { pipeline } from "node:stream/promises";
import { HTTPFetchError, messagingApi } from "@line/bot-sdk";
import express, { type Response, type Router } from "express";

// The rich menu under the dev chat page's conversation, as the LINE app finds it: the menu linked
// to the user (GET /v2/bot/user/{userId}/richmenu), else the account's default menu; the menu an
// alias points at when a tab (richmenuswitch) is tapped; the menu's image from the data host. It is
// read through the SDK's clients from the LINE API the bot uses (the local stand-in, or LINE itself
// with DEV_CHAT=1), so the page shows what residents would see.
export interface LineApiAddress {
  channelAccessToken: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
}

export interface ShownRichMenu extends messagingApi.RichMenuResponse {
  // Why this menu: linked to the user, the account's default, or a tab's alias.
  source: "user" | "default" | "alias";
  imageUrl: string;
}

const USER_ID = /^U[0-9a-f]{32}$/;

export function chatRichMenuRoutes(line: LineApiAddress): Router {
  const client = new messagingApi.MessagingApiClient({ channelAccessToken: line.channelAccessToken, baseURL: line.apiBaseUrl });
  const blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: line.channelAccessToken, baseURL: line.dataApiBaseUrl });
  // A rich menu cannot be changed once made (only deleted), so what was read once stays true.
  const menus = new Map<string, messagingApi.RichMenuResponse>();
  const shown = async (richMenuId: string, source: ShownRichMenu["source"]): Promise<ShownRichMenu> => {
    let menu = menus.get(richMenuId);
    if (!menu) {
      menu = await client.getRichMenu(richMenuId);
      menus.set(richMenuId, menu);
    }
    return { ...menu, source, imageUrl: `/dev/chat/api/richmenu/${encodeURIComponent(richMenuId)}/image` };
  };

  const router = express.Router();
  router.get("/dev/chat/api/richmenu", async (req, res) => {
    const userId = String(req.query.userId ?? "");
    if (!USER_ID.test(userId)) {
      res.status(400).json({ message: "userId must be a LINE user id (U and 32 hex digits)." });
      return;
    }
    try {
      const linked = await orNotFound(() => client.getRichMenuIdOfUser(userId));
      if (linked) return void res.json({ richMenu: await shown(linked.richMenuId, "user") });
      const fallback = await orNotFound(() => client.getDefaultRichMenuId());
      res.json({ richMenu: fallback ? await shown(fallback.richMenuId, "default") : null });
    } catch (error) {
      lineFailed(res, error);
    }
  });
  router.get("/dev/chat/api/richmenu/alias/:aliasId", async (req, res) => {
    try {
      const alias = await orNotFound(() => client.getRichMenuAlias(req.params.aliasId));
      if (!alias) return void res.status(404).json({ message: `No rich menu alias ${req.params.aliasId}: deploy the rich menus.` });
      res.json({ richMenu: await shown(alias.richMenuId, "alias") });
    } catch (error) {
      lineFailed(res, error);
    }
  });
  router.get("/dev/chat/api/richmenu/:richMenuId/image", async (req, res) => {
    try {
      const { httpResponse, body } = await blob.getRichMenuImageWithHttpInfo(req.params.richMenuId);
      // An image is never replaced at LINE: the browser may keep it.
      res.status(200).type(httpResponse.headers.get("content-type") ?? "image/png").set("Cache-Control", "private, max-age=86400, immutable");
      await pipeline(body, res);
    } catch (error) {
      if (res.headersSent) res.destroy();
      else lineFailed(res, error);
    }
  });
  return router;
}

async function orNotFound<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof HTTPFetchError && error.status === 404) return null;
    throw error;
  }
}

function lineFailed(res: Response, error: unknown): void {
  if (error instanceof HTTPFetchError) {
    res.status(error.status === 404 ? 404 : 502).json({ message: `The LINE API answered ${error.status}: ${error.body.slice(0, 300)}` });
    return;
  }
  res.status(502).json({ message: `The LINE API could not be reached: ${error instanceof Error ? error.message : String(error)}` });
}
