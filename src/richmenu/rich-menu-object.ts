import type { messagingApi } from "@line/bot-sdk";
import { postbackData } from "../line/postback-data.js";
import { cellBounds, type CellAction } from "./menu-layout.js";
import type { LoadedMenu } from "./load-rich-menus.js";
import { sha256 } from "./render-record.js";

// What a menu becomes at LINE: a rich menu object (Messaging API reference, "Rich menu object")
// and its image. The object's name carries a fingerprint of object and image,
// "<aliasId>@<16 hex>", so a deploy recognises a menu it made before and leaves it alone; an
// image cannot be replaced at LINE, so a changed menu is always a new one.
export interface DesiredMenu {
  name: string;
  aliasId: string;
  isDefault: boolean;
  request: messagingApi.RichMenuRequest & { name: string };
  image: Buffer;
}

// What a tab tap sends back: the conversation engine answers it with silence (the menu itself is
// the answer), see src/flows/conversation-engine.ts.
export const SWITCH_POSTBACK_ACTION = "switch_menu";

const NAME_PATTERN = /^([a-z0-9_-]{1,32})@([0-9a-f]{16})$/;

export function desiredMenus(menus: LoadedMenu[]): DesiredMenu[] {
  const aliasOf = new Map(menus.map((menu) => [menu.name, menu.layout.aliasId]));
  return menus.map((menu) => {
    const { layout } = menu;
    const bounds = cellBounds(layout);
    const areas: messagingApi.RichMenuArea[] = layout.rows.flatMap((row, rowIndex) =>
      row.cells.flatMap((cell, cellIndex) => (cell.action ? [{ bounds: bounds[rowIndex]![cellIndex]!, action: lineAction(cell.label, cell.action, aliasOf) }] : [])),
    );
    const body = { size: layout.size, selected: layout.selected, chatBarText: layout.chatBarText, areas };
    const fingerprint = sha256(`${JSON.stringify(body)}\n${sha256(menu.image)}`).slice(0, 16);
    const name = `${layout.aliasId}@${fingerprint}`;
    return { name, aliasId: layout.aliasId, isDefault: layout.default, request: { ...body, name }, image: menu.image };
  });
}

// The alias id a menu name of ours was made for, or null for a menu someone else made.
export function aliasIdOfName(name: string): string | null {
  return NAME_PATTERN.exec(name)?.[1] ?? null;
}

function lineAction(label: string, action: CellAction, aliasOf: Map<string, string>): messagingApi.Action {
  switch (action.type) {
    case "message":
      return { type: "message", label, text: action.text };
    case "postback":
      return { type: "postback", label, data: postbackData(action.flow, action.action, action.argument), displayText: action.displayText };
    case "uri":
      return { type: "uri", label, uri: action.uri };
    case "richmenuswitch": {
      const aliasId = aliasOf.get(action.to)!;
      return { type: "richmenuswitch", label, richMenuAliasId: aliasId, data: postbackData("engine", SWITCH_POSTBACK_ACTION, aliasId) } as messagingApi.RichMenuSwitchAction;
    }
  }
}
