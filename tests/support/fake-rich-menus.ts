import { randomBytes } from "node:crypto";
import type { Request, Response } from "express";

// The rich menu endpoints of FakeLineApi, stateful as LINE is: menus, their images (on the data
// host only), aliases, the default menu and per-user links. Besides the OpenAPI check of every
// JSON body (done by FakeLineApi), it enforces the rules LINE documents outside the YAML:
// image size and aspect ratio, areas inside the image, at most 20 areas, chat bar text of at most
// 14 characters, an image uploaded once and matching the menu's size, an alias or default only for
// a menu that has its image. Deleting a menu an alias points at is refused, which is stricter than
// LINE may be: a deploy must move its aliases first.
export interface StoredRichMenu {
  richMenuId: string;
  size: { width: number; height: number };
  selected: boolean;
  name: string;
  chatBarText: string;
  areas: { bounds: { x: number; y: number; width: number; height: number }; action: Record<string, unknown> }[];
}

type Host = "api" | "data";

export class FakeRichMenus {
  readonly menus = new Map<string, StoredRichMenu>();
  readonly images = new Map<string, { bytes: Buffer; contentType: string }>();
  readonly aliases = new Map<string, string>();
  readonly userLinks = new Map<string, string>();
  defaultMenuId: string | null = null;
  #batches = new Map<string, string>();

  // Answers a rich menu request and returns true, or returns false for any other path.
  handle(req: Request, res: Response, host: Host): boolean {
    const path = req.path;
    const fail = (status: number, message: string) => void res.status(status).json({ message });
    const ok = (body: unknown = {}) => void res.status(200).json(body);
    let match: RegExpExecArray | null;

    if (path === "/v2/bot/richmenu/validate" && req.method === "POST") {
      const problems = menuProblems(req.body);
      if (problems.length > 0) fail(400, `The request body has ${problems.length} error(s): ${problems.join("; ")}`);
      else ok();
      return true;
    }
    if (path === "/v2/bot/richmenu" && req.method === "POST") {
      const problems = menuProblems(req.body);
      if (problems.length > 0) return fail(400, problems.join("; ")), true;
      if (this.menus.size >= 1000) return fail(400, "Can't create more than 1000 rich menus"), true;
      const richMenuId = `richmenu-${randomBytes(16).toString("hex")}`;
      this.menus.set(richMenuId, { richMenuId, selected: false, ...structuredClone(req.body) });
      ok({ richMenuId });
      return true;
    }
    if (path === "/v2/bot/richmenu/list" && req.method === "GET") return ok({ richmenus: [...this.menus.values()] }), true;
    if (path === "/v2/bot/richmenu/alias/list" && req.method === "GET") {
      return ok({ aliases: [...this.aliases].map(([richMenuAliasId, richMenuId]) => ({ richMenuAliasId, richMenuId })) }), true;
    }
    if (path === "/v2/bot/richmenu/alias" && req.method === "POST") {
      const { richMenuAliasId, richMenuId } = req.body as { richMenuAliasId: string; richMenuId: string };
      if (this.aliases.has(richMenuAliasId)) return fail(400, "conflict richmenu alias id"), true;
      const problem = this.#usable(richMenuId);
      if (problem) return fail(400, problem), true;
      this.aliases.set(richMenuAliasId, richMenuId);
      return ok(), true;
    }
    if ((match = /^\/v2\/bot\/richmenu\/alias\/([^/]+)$/.exec(path))) {
      const aliasId = match[1]!;
      if (!this.aliases.has(aliasId)) return fail(404, "richmenu alias not found"), true;
      if (req.method === "GET") return ok({ richMenuAliasId: aliasId, richMenuId: this.aliases.get(aliasId) }), true;
      if (req.method === "DELETE") return this.aliases.delete(aliasId), ok(), true;
      const problem = this.#usable((req.body as { richMenuId: string }).richMenuId);
      if (problem) return fail(400, problem), true;
      this.aliases.set(aliasId, (req.body as { richMenuId: string }).richMenuId);
      return ok(), true;
    }
    if (path === "/v2/bot/richmenu/batch" && req.method === "POST") {
      for (const operation of (req.body as { operations: { type: string; from?: string; to?: string }[] }).operations) {
        for (const [userId, linked] of this.userLinks) {
          if (operation.type === "unlinkAll" || linked === operation.from) {
            if (operation.type === "link") this.userLinks.set(userId, operation.to!);
            else this.userLinks.delete(userId);
          }
        }
      }
      const requestId = randomBytes(16).toString("hex");
      this.#batches.set(requestId, new Date().toISOString());
      res.status(202).setHeader("x-line-request-id", requestId).json({});
      return true;
    }
    if (path === "/v2/bot/richmenu/progress/batch" && req.method === "GET") {
      const acceptedTime = this.#batches.get(String(req.query.requestId));
      if (!acceptedTime) return fail(404, "request not found"), true;
      return ok({ phase: "succeeded", acceptedTime, completedTime: acceptedTime }), true;
    }
    if ((match = /^\/v2\/bot\/richmenu\/([^/]+)\/content$/.exec(path))) {
      const menu = this.menus.get(match[1]!);
      // Images live on api-data.line.me only.
      if (host !== "data") return fail(404, "Not found"), true;
      if (!menu) return fail(404, "richmenu not found"), true;
      if (req.method === "GET") {
        const image = this.images.get(menu.richMenuId);
        if (!image) return fail(404, "richmenu image not found"), true;
        res.status(200).type(image.contentType).send(image.bytes);
        return true;
      }
      const problem = this.#imageProblem(menu, req);
      if (problem) return fail(400, problem), true;
      this.images.set(menu.richMenuId, { bytes: req.body as Buffer, contentType: String(req.headers["content-type"]) });
      return ok(), true;
    }
    if (path === "/v2/bot/user/all/richmenu") {
      if (req.method === "DELETE") return (this.defaultMenuId = null), ok(), true;
      if (!this.defaultMenuId) return fail(404, "no default richmenu"), true;
      return ok({ richMenuId: this.defaultMenuId }), true;
    }
    if ((match = /^\/v2\/bot\/user\/all\/richmenu\/([^/]+)$/.exec(path)) && req.method === "POST") {
      const problem = this.#usable(match[1]!);
      if (problem) return fail(400, problem), true;
      this.defaultMenuId = match[1]!;
      return ok(), true;
    }
    if ((match = /^\/v2\/bot\/user\/([^/]+)\/richmenu$/.exec(path)) && match[1] !== "all" && req.method === "DELETE") {
      this.userLinks.delete(match[1]!);
      return ok(), true;
    }
    if ((match = /^\/v2\/bot\/user\/([^/]+)\/richmenu\/([^/]+)$/.exec(path)) && req.method === "POST") {
      const problem = this.#usable(match[2]!);
      if (problem) return fail(400, problem), true;
      this.userLinks.set(match[1]!, match[2]!);
      return ok(), true;
    }
    if ((match = /^\/v2\/bot\/richmenu\/(richmenu-[^/]+)$/.exec(path))) {
      const menu = this.menus.get(match[1]!);
      if (!menu) return fail(404, "richmenu not found"), true;
      if (req.method === "GET") return ok(menu), true;
      if (req.method !== "DELETE") return false;
      if ([...this.aliases.values()].includes(menu.richMenuId)) return fail(400, "the richmenu is used by an alias"), true;
      this.menus.delete(menu.richMenuId);
      this.images.delete(menu.richMenuId);
      if (this.defaultMenuId === menu.richMenuId) this.defaultMenuId = null;
      for (const [userId, linked] of this.userLinks) if (linked === menu.richMenuId) this.userLinks.delete(userId);
      return ok(), true;
    }
    return false;
  }

  // For tests of what uses deployed menus: a menu with its image, reachable by `aliasId`.
  addDeployed(aliasId: string, richMenuId: string): void {
    const size = { width: 2500, height: 843 };
    const area = { bounds: { x: 0, y: 0, ...size }, action: { type: "message", text: "メニュー" } };
    this.menus.set(richMenuId, { richMenuId, size, selected: false, name: aliasId, chatBarText: "メニュー", areas: [area] });
    this.images.set(richMenuId, { bytes: Buffer.alloc(8), contentType: "image/png" });
    this.aliases.set(aliasId, richMenuId);
  }

  #usable(richMenuId: string): string | null {
    if (!this.menus.has(richMenuId)) return "richmenu not found";
    if (!this.images.has(richMenuId)) return "must upload richmenu image before applying it to user";
    return null;
  }

  #imageProblem(menu: StoredRichMenu, req: Request): string | null {
    const type = String(req.headers["content-type"] ?? "");
    if (type !== "image/png" && type !== "image/jpeg") return `Content-Type must be image/png or image/jpeg, not ${type || "missing"}`;
    if (this.images.has(menu.richMenuId)) return "An image has already been uploaded to the richmenu";
    const bytes = req.body;
    if (!Buffer.isBuffer(bytes) || bytes.length === 0) return "no image in the body";
    if (bytes.length > 1024 * 1024) return "The image is larger than 1 MB";
    if (type === "image/png") {
      const isPng = bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.subarray(12, 16).toString("latin1") === "IHDR";
      if (!isPng) return "The image is not a PNG";
      const width = bytes.readUInt32BE(16);
      const height = bytes.readUInt32BE(20);
      if (width !== menu.size.width || height !== menu.size.height) return `The image is ${width}x${height}, the richmenu ${menu.size.width}x${menu.size.height}`;
    }
    return null;
  }
}

// The rich menu object's rules from LINE's reference that the OpenAPI document leaves out.
function menuProblems(body: Partial<StoredRichMenu>): string[] {
  const problems: string[] = [];
  const { size, areas = [], chatBarText, name } = body;
  for (const field of ["size", "selected", "name", "chatBarText", "areas"] as const) if (body[field] === undefined) problems.push(`${field} is required`);
  if (!size) return problems;
  if (size.width < 800 || size.width > 2500) problems.push("size.width must be 800 to 2500");
  if (size.height < 250) problems.push("size.height must be at least 250");
  if (size.width / size.height < 1.45) problems.push("size width/height must be at least 1.45");
  if (typeof chatBarText === "string" && chatBarText.length > 14) problems.push("chatBarText must be at most 14 characters");
  if (typeof name === "string" && name.length > 300) problems.push("name must be at most 300 characters");
  if (areas.length > 20) problems.push("areas must be at most 20");
  areas.forEach(({ bounds, action }, index) => {
    if (bounds.x + bounds.width > size.width || bounds.y + bounds.height > size.height) problems.push(`areas[${index}].bounds is outside the image`);
    if (typeof action.label === "string" && action.label.length > 20) problems.push(`areas[${index}].action.label must be at most 20 characters`);
    if (action.type === "richmenuswitch" && (typeof action.data !== "string" || typeof action.richMenuAliasId !== "string")) {
      problems.push(`areas[${index}].action: richmenuswitch needs data and richMenuAliasId`);
    }
    if (action.type === "message" && (typeof action.text !== "string" || action.text.length === 0 || action.text.length > 300)) {
      problems.push(`areas[${index}].action.text must be 1 to 300 characters`);
    }
    if (action.type === "postback" && (typeof action.data !== "string" || action.data.length > 300)) problems.push(`areas[${index}].action.data must be at most 300 characters`);
  });
  return problems;
}
