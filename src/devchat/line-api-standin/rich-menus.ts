import { randomBytes } from "node:crypto";
import express, { type Response, type Router } from "express";
import { invalidBody, lineError, USER_ID, type ErrorDetail } from "./line-answers.js";
import { ALIAS_ID, imageProblem, RICH_MENU_LIMITS, richMenuProblems, type RichMenuObject } from "./rich-menu-rules.js";

// Rich menus as LINE keeps them (https://developers.line.biz/en/reference/messaging-api/#rich-menu):
// menu objects on api.line.me and their images on api-data.line.me (an image is uploaded once and
// cannot be replaced), aliases (what a tab switches to), the default menu, per-user links, and
// batch and bulk linking. A menu can be an alias's, the default or a user's only once its image is
// there. Deleting a menu an alias points at is refused: move the alias first.
export type StoredRichMenu = RichMenuObject & { richMenuId: string };

export class RichMenuState {
  readonly menus = new Map<string, StoredRichMenu>();
  readonly images = new Map<string, { bytes: Buffer; contentType: string }>();
  readonly aliases = new Map<string, string>();
  readonly userLinks = new Map<string, string>();
  readonly batches = new Map<string, string>();
  defaultMenuId: string | null = null;

  // Why this menu cannot be shown to anyone yet, or null.
  unusable(richMenuId: unknown): string | null {
    if (typeof richMenuId !== "string" || !this.menus.has(richMenuId)) return "richmenu not found";
    if (!this.images.has(richMenuId)) return "must upload richmenu image before applying it to user";
    return null;
  }
}

type Json = Record<string, unknown>;
const ok = (res: Response, status = 200) => void res.status(status).json({});

export function richMenuRoutes(state: RichMenuState): Router {
  const router = express.Router();
  addMenuRoutes(router, state);
  addAliasRoutes(router, state);
  addBulkLinkRoutes(router, state);
  addBatchRoutes(router, state);
  addMenuByIdRoutes(router, state);
  addDefaultAndUserMenuRoutes(router, state);
  return router;
}

// Menu objects: validate, create, list.
function addMenuRoutes(router: Router, state: RichMenuState): void {
  router.post("/v2/bot/richmenu/validate", (req, res) => {
    const problems = richMenuProblems(req.body);
    return problems.length > 0 ? invalidBody(res, problems) : ok(res);
  });
  router.post("/v2/bot/richmenu", (req, res) => {
    const problems = richMenuProblems(req.body);
    if (problems.length > 0) return invalidBody(res, problems);
    if (state.menus.size >= RICH_MENU_LIMITS.menus) return lineError(res, 400, `Can't create more than ${RICH_MENU_LIMITS.menus} rich menus`);
    const { size, selected, name, chatBarText, areas } = req.body as RichMenuObject;
    const richMenuId = `richmenu-${randomBytes(16).toString("hex")}`;
    state.menus.set(richMenuId, structuredClone({ richMenuId, size, selected, name, chatBarText, areas }));
    res.json({ richMenuId });
  });
  router.get("/v2/bot/richmenu/list", (_req, res) => {
    res.json({ richmenus: [...state.menus.values()] });
  });
}

// Aliases: what a tab switches to.
function addAliasRoutes(router: Router, state: RichMenuState): void {
  router.get("/v2/bot/richmenu/alias/list", (_req, res) => {
    res.json({ aliases: [...state.aliases].map(([richMenuAliasId, richMenuId]) => ({ richMenuAliasId, richMenuId })) });
  });
  router.post("/v2/bot/richmenu/alias", (req, res) => {
    const { richMenuAliasId, richMenuId } = (req.body ?? {}) as Json;
    if (typeof richMenuAliasId !== "string" || !ALIAS_ID.test(richMenuAliasId)) return invalidBody(res, [{ property: "richMenuAliasId", message: "must be 1 to 32 letters, digits, _ or -" }]);
    if (state.aliases.has(richMenuAliasId)) return lineError(res, 400, "conflict richmenu alias id");
    if (state.aliases.size >= RICH_MENU_LIMITS.aliases) return lineError(res, 400, `Can't create more than ${RICH_MENU_LIMITS.aliases} rich menu aliases`);
    const problem = state.unusable(richMenuId);
    if (problem) return lineError(res, 400, problem);
    state.aliases.set(richMenuAliasId, richMenuId as string);
    ok(res);
  });
  router.get("/v2/bot/richmenu/alias/:aliasId", (req, res) => {
    const richMenuId = state.aliases.get(req.params.aliasId);
    if (!richMenuId) return lineError(res, 404, "richmenu alias not found");
    res.json({ richMenuAliasId: req.params.aliasId, richMenuId });
  });
  router.post("/v2/bot/richmenu/alias/:aliasId", (req, res) => {
    if (!state.aliases.has(req.params.aliasId)) return lineError(res, 400, "richmenu alias not found");
    const { richMenuId } = (req.body ?? {}) as Json;
    const problem = state.unusable(richMenuId);
    if (problem) return lineError(res, 400, problem);
    state.aliases.set(req.params.aliasId, richMenuId as string);
    ok(res);
  });
  router.delete("/v2/bot/richmenu/alias/:aliasId", (req, res) => {
    if (!state.aliases.delete(req.params.aliasId)) return lineError(res, 400, "richmenu alias not found");
    ok(res);
  });
}

// Linking many users at once.
function addBulkLinkRoutes(router: Router, state: RichMenuState): void {
  router.post("/v2/bot/richmenu/bulk/link", (req, res) => {
    const { richMenuId, userIds } = (req.body ?? {}) as Json;
    const problems = userIdsProblems(userIds);
    if (problems.length > 0) return invalidBody(res, problems);
    const problem = state.unusable(richMenuId);
    if (problem) return lineError(res, 400, problem);
    for (const userId of userIds as string[]) state.userLinks.set(userId, richMenuId as string);
    ok(res, 202);
  });
  router.post("/v2/bot/richmenu/bulk/unlink", (req, res) => {
    const { userIds } = (req.body ?? {}) as Json;
    const problems = userIdsProblems(userIds);
    if (problems.length > 0) return invalidBody(res, problems);
    for (const userId of userIds as string[]) state.userLinks.delete(userId);
    ok(res, 202);
  });
}

// Batch control.
function addBatchRoutes(router: Router, state: RichMenuState): void {
  // Batch control (https://developers.line.biz/en/reference/messaging-api/#batch-control-rich-menus-of-users):
  // done at once here, so its progress, looked up by the batch request's x-line-request-id, is
  // always "succeeded".
  router.post("/v2/bot/richmenu/validate/batch", (req, res) => {
    const problems = batchProblems(state, req.body);
    return problems.length > 0 ? invalidBody(res, problems) : ok(res);
  });
  router.post("/v2/bot/richmenu/batch", (req, res) => {
    const problems = batchProblems(state, req.body);
    if (problems.length > 0) return invalidBody(res, problems);
    for (const operation of (req.body as { operations: Json[] }).operations) {
      for (const [userId, linked] of state.userLinks) {
        if (operation.type === "unlinkAll" || linked === operation.from) {
          if (operation.type === "link") state.userLinks.set(userId, operation.to as string);
          else state.userLinks.delete(userId);
        }
      }
    }
    state.batches.set(String(res.locals.requestId), new Date().toISOString());
    ok(res, 202);
  });
  router.get("/v2/bot/richmenu/progress/batch", (req, res) => {
    const acceptedTime = state.batches.get(String(req.query.requestId ?? ""));
    if (!acceptedTime) return lineError(res, 404, "Not found");
    res.json({ phase: "succeeded", acceptedTime, completedTime: acceptedTime });
  });
}

// One menu by id (after the fixed paths above, which its :richMenuId would match).
function addMenuByIdRoutes(router: Router, state: RichMenuState): void {
  router.get("/v2/bot/richmenu/:richMenuId", (req, res) => {
    const menu = state.menus.get(req.params.richMenuId);
    if (!menu) return lineError(res, 404, "richmenu not found");
    res.json(menu);
  });
  router.delete("/v2/bot/richmenu/:richMenuId", (req, res) => {
    const { richMenuId } = req.params;
    if (!state.menus.has(richMenuId)) return lineError(res, 404, "richmenu not found");
    if ([...state.aliases.values()].includes(richMenuId)) return lineError(res, 400, "The rich menu is used by a rich menu alias: move or delete the alias first");
    state.menus.delete(richMenuId);
    state.images.delete(richMenuId);
    if (state.defaultMenuId === richMenuId) state.defaultMenuId = null;
    for (const [userId, linked] of state.userLinks) if (linked === richMenuId) state.userLinks.delete(userId);
    ok(res);
  });
}

// The default menu and per-user links.
function addDefaultAndUserMenuRoutes(router: Router, state: RichMenuState): void {
  router.get("/v2/bot/user/all/richmenu", (_req, res) => {
    if (!state.defaultMenuId) return lineError(res, 404, "no default richmenu");
    res.json({ richMenuId: state.defaultMenuId });
  });
  router.delete("/v2/bot/user/all/richmenu", (_req, res) => {
    state.defaultMenuId = null;
    ok(res);
  });
  router.post("/v2/bot/user/all/richmenu/:richMenuId", (req, res) => {
    const problem = state.unusable(req.params.richMenuId);
    if (problem) return lineError(res, 400, problem);
    state.defaultMenuId = req.params.richMenuId;
    ok(res);
  });
  router.get("/v2/bot/user/:userId/richmenu", (req, res) => {
    if (!USER_ID.test(req.params.userId)) return lineError(res, 400, "The value for the 'userId' parameter is invalid");
    const richMenuId = state.userLinks.get(req.params.userId);
    if (!richMenuId) return lineError(res, 404, "the user has no richmenu");
    res.json({ richMenuId });
  });
  router.delete("/v2/bot/user/:userId/richmenu", (req, res) => {
    if (!USER_ID.test(req.params.userId)) return lineError(res, 400, "The value for the 'userId' parameter is invalid");
    state.userLinks.delete(req.params.userId);
    ok(res);
  });
  router.post("/v2/bot/user/:userId/richmenu/:richMenuId", (req, res) => {
    if (!USER_ID.test(req.params.userId)) return lineError(res, 400, "The value for the 'userId' parameter is invalid");
    const problem = state.unusable(req.params.richMenuId);
    if (problem) return lineError(res, 400, problem);
    state.userLinks.set(req.params.userId, req.params.richMenuId);
    ok(res);
  });
}

// The data host (api-data.line.me): rich menu images, uploaded once, downloaded any number of times.
export function richMenuImageRoutes(state: RichMenuState): Router {
  const router = express.Router();
  router.get("/v2/bot/richmenu/:richMenuId/content", (req, res) => {
    const image = state.images.get(req.params.richMenuId);
    if (!image) return lineError(res, 404, state.menus.has(req.params.richMenuId) ? "richmenu image not found" : "richmenu not found");
    res.status(200).type(image.contentType).set("Content-Length", String(image.bytes.length)).send(image.bytes);
  });
  router.post("/v2/bot/richmenu/:richMenuId/content", (req, res) => {
    const menu = state.menus.get(req.params.richMenuId);
    if (!menu) return lineError(res, 404, "richmenu not found");
    if (state.images.has(menu.richMenuId)) return lineError(res, 400, "An image has already been uploaded to the richmenu");
    const contentType = (req.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const problem = imageProblem(menu, contentType, req.body);
    if (problem) return lineError(res, 400, problem);
    state.images.set(menu.richMenuId, { bytes: Buffer.from(req.body as Buffer), contentType });
    ok(res);
  });
  return router;
}

function userIdsProblems(userIds: unknown): ErrorDetail[] {
  if (!Array.isArray(userIds) || userIds.length < 1 || userIds.length > RICH_MENU_LIMITS.bulkUsers) {
    return [{ property: "userIds", message: `Size must be between 1 and ${RICH_MENU_LIMITS.bulkUsers}` }];
  }
  return userIds.flatMap((id, index) => (typeof id === "string" && USER_ID.test(id) ? [] : [{ property: `userIds[${index}]`, message: "must be a user id" }]));
}

function batchProblems(state: RichMenuState, body: unknown): ErrorDetail[] {
  const operations = (body as Json | null)?.operations;
  if (!Array.isArray(operations) || operations.length < 1 || operations.length > RICH_MENU_LIMITS.batchOperations) {
    return [{ property: "operations", message: `Size must be between 1 and ${RICH_MENU_LIMITS.batchOperations}` }];
  }
  return operations.flatMap((operation: Json, index): ErrorDetail[] => {
    const at = `operations[${index}]`;
    if (operation?.type === "unlinkAll") return [];
    if (operation?.type !== "link" && operation?.type !== "unlink") return [{ property: `${at}.type`, message: "must be link, unlink or unlinkAll" }];
    const problems: ErrorDetail[] = [];
    if (typeof operation.from !== "string" || !state.menus.has(operation.from)) problems.push({ property: `${at}.from`, message: "richmenu not found" });
    if (operation.type === "link") {
      const problem = state.unusable(operation.to);
      if (problem) problems.push({ property: `${at}.to`, message: problem });
    }
    return problems;
  });
}
