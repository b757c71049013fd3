import path from "node:path";
import { defaultRichMenuDir } from "../richmenu/load-rich-menus.js";
import { renderMenuImages } from "../richmenu/render-images.js";

// npm run richmenu:render [-- <dir>] — draws seeds/richmenus/<name>.png from each <name>.yaml.
// Commit the PNGs and their .render.json files; npm run richmenu:deploy refuses a stale image.
const dir = process.argv[2] ? path.resolve(process.argv[2]) : defaultRichMenuDir;
try {
  for (const image of await renderMenuImages(dir)) {
    process.stdout.write(`${image.name}: ${path.relative(process.cwd(), image.file)} (${Math.round(image.bytes / 1024)} KB)\n`);
  }
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
