import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { chromium, type Browser, type Page } from "playwright-core";

// Debian's Chromium driven by playwright-core. On a developer's machine without Chromium the
// browser tests are skipped with a note; in CI (CI=true) a missing browser is a failure, since
// .ci/run installs it.
const CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean) as string[];
export const chromiumPath = CANDIDATES.find((candidate) => existsSync(candidate)) ?? null;
export const browserTestsEnabled = chromiumPath !== null || process.env.CI === "true";
if (!browserTestsEnabled) process.stderr.write("browser tests skipped: no Chromium found (install Debian's chromium, or set CHROMIUM_PATH)\n");

export const artifactsDir = new URL("../artifacts/", import.meta.url);

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error("Chromium is missing: install it (apt-get install -y chromium) or set CHROMIUM_PATH");
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

// A full-page screenshot under tests/artifacts/ (ignored by git), named by the step.
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(artifactsDir, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, artifactsDir).pathname, fullPage: true });
}

// Every script error and console error of the page, for a test to assert there were none.
export function errorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  return errors;
}
