import type { ErrorDetail } from "./line-answers.js";

// The rich menu object's rules from LINE's reference (https://developers.line.biz/en/reference/messaging-api/#rich-menu-object
// and #upload-rich-menu-image): image 800 to 2500 px wide, at least 250 high, width ÷ height at
// least 1.45; at most 20 areas inside the image; chat bar text at most 14 characters; the image a
// JPEG or PNG of at most 1 MB, the size the object says.
export const RICH_MENU_LIMITS = { menus: 1000, aliases: 1000, areas: 20, imageBytes: 1024 * 1024, bulkUsers: 500, batchOperations: 1000 };
export const ALIAS_ID = /^[A-Za-z0-9_-]{1,32}$/;

export interface RichMenuObject {
  size: { width: number; height: number };
  selected: boolean;
  name: string;
  chatBarText: string;
  areas: { bounds: { x: number; y: number; width: number; height: number }; action: Record<string, unknown> }[];
}

type Json = Record<string, unknown>;
const isInt = (value: unknown): value is number => Number.isInteger(value);
const isText = (value: unknown, max: number) => typeof value === "string" && value.length >= 1 && value.length <= max;

export function richMenuProblems(body: unknown): ErrorDetail[] {
  const menu = (body ?? {}) as Json;
  const problems: ErrorDetail[] = [];
  const fail = (property: string, message: string) => problems.push({ property, message });
  const size = menu.size as Json | undefined;
  if (!size || !isInt(size.width) || !isInt(size.height)) fail("size", "must be specified with an integer width and height");
  else {
    if (size.width < 800 || size.width > 2500) fail("size.width", "must be between 800 and 2500");
    if (size.height < 250) fail("size.height", "must be at least 250");
    if (size.width / size.height < 1.45) fail("size", "width / height must be at least 1.45");
  }
  if (typeof menu.selected !== "boolean") fail("selected", "must be specified");
  if (!isText(menu.name, 300)) fail("name", "must be 1 to 300 characters");
  if (!isText(menu.chatBarText, 14)) fail("chatBarText", "must be 1 to 14 characters");
  if (!Array.isArray(menu.areas)) fail("areas", "must be specified");
  else if (menu.areas.length > RICH_MENU_LIMITS.areas) fail("areas", `Size must be between 0 and ${RICH_MENU_LIMITS.areas}`);
  else {
    menu.areas.forEach((area: Json, index) => {
      const at = `areas[${index}]`;
      const bounds = area?.bounds as Json | undefined;
      if (!bounds || ![bounds.x, bounds.y, bounds.width, bounds.height].every((value) => isInt(value) && value >= 0)) fail(`${at}.bounds`, "must be specified with integer x, y, width and height");
      else if (size && isInt(size.width) && isInt(size.height) && ((bounds.x as number) + (bounds.width as number) > size.width || (bounds.y as number) + (bounds.height as number) > size.height)) {
        fail(`${at}.bounds`, "must be inside the image");
      }
      problems.push(...actionProblems(area?.action, `${at}.action`));
    });
  }
  return problems;
}

// The actions a rich menu area may have (https://developers.line.biz/en/reference/messaging-api/#action-objects).
function actionProblems(value: unknown, at: string): ErrorDetail[] {
  const action = (value ?? {}) as Json;
  const problems: ErrorDetail[] = [];
  const need = (field: string, ok: boolean, message: string) => {
    if (!ok) problems.push({ property: `${at}.${field}`, message });
  };
  if (action.label !== undefined) need("label", isText(action.label, 20), "must be 1 to 20 characters");
  switch (action.type) {
    case "message":
      need("text", isText(action.text, 300), "must be 1 to 300 characters");
      break;
    case "postback":
      need("data", isText(action.data, 300), "must be 1 to 300 characters");
      if (action.displayText !== undefined) need("displayText", isText(action.displayText, 300), "must be 1 to 300 characters");
      break;
    case "uri":
      need("uri", isText(action.uri, 1000) && /^(https?|line|tel):/.test(action.uri as string), "must be an http, https, line or tel URI of at most 1000 characters");
      break;
    case "richmenuswitch":
      need("richMenuAliasId", typeof action.richMenuAliasId === "string" && ALIAS_ID.test(action.richMenuAliasId), "must be a rich menu alias id");
      need("data", isText(action.data, 300), "must be 1 to 300 characters");
      break;
    case "datetimepicker":
      need("data", isText(action.data, 300), "must be 1 to 300 characters");
      need("mode", ["date", "time", "datetime"].includes(action.mode as string), "must be date, time or datetime");
      break;
    case "camera":
    case "cameraRoll":
    case "location":
      break;
    default:
      problems.push({ property: `${at}.type`, message: "must be message, postback, uri, richmenuswitch, datetimepicker, camera, cameraRoll or location" });
  }
  return problems;
}

// What is wrong with an uploaded image for this menu, or null.
export function imageProblem(menu: RichMenuObject, contentType: string, bytes: unknown): string | null {
  if (contentType !== "image/png" && contentType !== "image/jpeg") return `The Content-Type must be image/png or image/jpeg, not ${contentType || "missing"}`;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) return "The request body has no image";
  if (bytes.length > RICH_MENU_LIMITS.imageBytes) return "The image is larger than 1 MB";
  const size = contentType === "image/png" ? pngSize(bytes) : jpegSize(bytes);
  if (!size) return `The image is not a ${contentType === "image/png" ? "PNG" : "JPEG"}`;
  if (size.width !== menu.size.width || size.height !== menu.size.height) {
    return `The image is ${size.width}x${size.height}, but the rich menu is ${menu.size.width}x${menu.size.height}`;
  }
  return null;
}

function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const isPng = bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.subarray(12, 16).toString("latin1") === "IHDR";
  return isPng ? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) } : null;
}

// The frame header (SOF0–SOF15 but DHT, JPG and DAC) holds a JPEG's size.
function jpegSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    const length = bytes.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return null;
}
