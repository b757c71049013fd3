import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import { defaultRichMenuDir, loadMenuLayouts } from "./load-rich-menus.js";
import { menuHtml } from "./menu-html.js";
import { RICH_MENU_LIMITS } from "./menu-layout.js";
import { pngSize, sha256, type RenderRecord } from "./render-record.js";

// Photographs each menu's HTML (menu-html.ts) at its exact pixel size with Debian's Chromium and
// writes seeds/richmenus/<name>.png with its <name>.render.json beside it. A build-time step
// (npm run richmenu:render): the PNGs are committed, so deploying needs no browser.
const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium(): string {
  const found = CHROMIUM_CANDIDATES.find((candidate): candidate is string => Boolean(candidate) && existsSync(candidate!));
  if (!found) throw new Error("Chromium is missing: install it (apt-get install -y chromium fonts-noto-cjk) or set CHROMIUM_PATH");
  return found;
}

export async function renderMenuImages(dir = defaultRichMenuDir): Promise<{ name: string; file: string; bytes: number }[]> {
  const menus = await loadMenuLayouts(dir);
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: ["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"] });
  const written: { name: string; file: string; bytes: number }[] = [];
  try {
    for (const menu of menus) {
      const { width, height } = menu.layout.size;
      const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
      const html = menuHtml(menu.layout);
      await page.setContent(html, { waitUntil: "load" });
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      const image = await page.screenshot({ type: "png", clip: { x: 0, y: 0, width, height } });
      await page.close();
      const size = pngSize(image);
      if (size?.width !== width || size.height !== height) throw new Error(`Chromium drew ${menu.name} at ${size?.width}×${size?.height}, not ${width}×${height}`);
      if (image.length > RICH_MENU_LIMITS.maxImageBytes) throw new Error(`${menu.name}.png came out at ${image.length} bytes; LINE takes at most 1 MB: simplify the design`);
      const file = path.join(dir, `${menu.name}.png`);
      const record: RenderRecord = { htmlSha256: sha256(html), imageSha256: sha256(image), width, height };
      await writeFile(file, image);
      await writeFile(path.join(dir, `${menu.name}.render.json`), `${JSON.stringify(record, null, 2)}\n`);
      written.push({ name: menu.name, file, bytes: image.length });
    }
  } finally {
    await browser.close();
  }
  return written;
}
