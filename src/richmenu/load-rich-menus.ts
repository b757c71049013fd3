import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { defaultSeedsDir, readSeedFile } from "../seeds/load-seeds.js";
import { menuHtml, readabilityProblems } from "./menu-html.js";
import { menuLayoutSchema, RICH_MENU_LIMITS, type MenuLayout } from "./menu-layout.js";
import { pngSize, renderRecordSchema, sha256 } from "./render-record.js";

export const defaultRichMenuDir = path.join(defaultSeedsDir, "richmenus");

export interface SeedMenu {
  // The YAML file's name without .yaml: what `richmenuswitch: { to }` refers to.
  name: string;
  layout: MenuLayout;
}

export interface LoadedMenu extends SeedMenu {
  image: Buffer;
}

// Reads and checks every seeds/richmenus/*.yaml: each on its own (schema, readable labels) and
// together (alias ids unique, exactly one default, tabs pointing at menus that exist).
export async function loadMenuLayouts(dir = defaultRichMenuDir): Promise<SeedMenu[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith(".yaml")).sort();
  if (files.length === 0) throw new Error(`${dir} holds no rich menu (*.yaml)`);
  const menus: SeedMenu[] = [];
  for (const file of files) {
    const layout = await readSeedFile(path.join(dir, file), menuLayoutSchema);
    const unreadable = readabilityProblems(layout);
    if (unreadable.length > 0) throw new Error(`${path.join(dir, file)} is not valid:\n  ${unreadable.join("\n  ")}`);
    menus.push({ name: file.replace(/\.yaml$/, ""), layout });
  }
  const problems = menuSetProblems(menus);
  if (problems.length > 0) throw new Error(`${dir}: the rich menus do not fit together:\n  ${problems.join("\n  ")}`);
  return menus;
}

export function menuSetProblems(menus: SeedMenu[]): string[] {
  const problems: string[] = [];
  const names = new Set(menus.map((menu) => menu.name));
  const aliases = new Map<string, string>();
  for (const menu of menus) {
    const owner = aliases.get(menu.layout.aliasId);
    if (owner) problems.push(`${menu.name}.yaml and ${owner}.yaml both use the alias id ${menu.layout.aliasId}`);
    aliases.set(menu.layout.aliasId, menu.name);
    for (const cell of menu.layout.rows.flatMap((row) => row.cells)) {
      if (cell.action?.type === "richmenuswitch" && !names.has(cell.action.to)) {
        problems.push(`${menu.name}.yaml: the tab 「${cell.label}」 switches to "${cell.action.to}", but there is no ${cell.action.to}.yaml`);
      }
    }
  }
  const defaults = menus.filter((menu) => menu.layout.default).map((menu) => menu.name);
  if (defaults.length !== 1) problems.push(`exactly one menu must have default: true (now: ${defaults.join(", ") || "none"})`);
  return problems;
}

// The menus with their rendered images, refusing an image that is missing, the wrong size, too
// large for LINE, or older than its YAML.
export async function loadRichMenus(dir = defaultRichMenuDir): Promise<LoadedMenu[]> {
  const menus = await loadMenuLayouts(dir);
  const loaded: LoadedMenu[] = [];
  for (const menu of menus) {
    const imageFile = path.join(dir, `${menu.name}.png`);
    const rerender = `run npm run richmenu:render${dir === defaultRichMenuDir ? "" : ` -- ${dir}`}`;
    const image = await readFile(imageFile).catch(() => {
      throw new Error(`${imageFile} is missing: ${rerender}`);
    });
    const size = pngSize(image);
    const { width, height } = menu.layout.size;
    if (!size) throw new Error(`${imageFile} is not a PNG: ${rerender}`);
    if (size.width !== width || size.height !== height) {
      throw new Error(`${imageFile} is ${size.width}×${size.height} but ${menu.name}.yaml says ${width}×${height}: ${rerender}`);
    }
    if (image.length > RICH_MENU_LIMITS.maxImageBytes) throw new Error(`${imageFile} is ${image.length} bytes; LINE takes at most 1 MB: simplify the design`);
    const record = renderRecordSchema.safeParse(parse(await readFile(path.join(dir, `${menu.name}.render.json`), "utf8").catch(() => "null")));
    if (!record.success || record.data.htmlSha256 !== sha256(menuHtml(menu.layout)) || record.data.imageSha256 !== sha256(image)) {
      throw new Error(`${imageFile} was not rendered from the current ${menu.name}.yaml: ${rerender}`);
    }
    loaded.push({ ...menu, image });
  }
  return loaded;
}
