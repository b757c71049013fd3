import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The limits of eslint.config.js fire: a planted file breaking each one fails `npm run lint`.
const eslint = new ESLint({ cwd: process.cwd() });

async function rulesBrokenBy(source: string): Promise<string[]> {
  const results = await eslint.lintText(source, { filePath: "src/planted.ts" });
  return results.flatMap((result) => result.messages).filter((message) => message.severity === 2).map((message) => message.ruleId ?? "");
}

const statements = (count: number) => Array.from({ length: count }, (_, index) => `  total += ${index};`).join("\n");
const functionOf = (lines: number) => `export function long(): number {\n  let total = 0;\n${statements(lines - 4)}\n  return total;\n}\n`;

describe("lint limits (eslint.config.js)", () => {
  it("a function of 80 lines passes; one of 81 lines is an error", async () => {
    expect(await rulesBrokenBy(functionOf(80))).toEqual([]);
    expect(await rulesBrokenBy(functionOf(81))).toEqual(["max-lines-per-function"]);
  });

  it("blank lines and comments are not counted", async () => {
    const padded = functionOf(80).replace("let total = 0;", "let total = 0;\n\n  // why, not what\n");
    expect(await rulesBrokenBy(padded)).toEqual([]);
  });

  it("a file of 301 lines is an error", async () => {
    const file = Array.from({ length: 301 }, (_, index) => `export const value${index} = ${index};`).join("\n");
    expect(await rulesBrokenBy(file)).toEqual(["max-lines"]);
  });

  it("an explicit any is an error", async () => {
    expect(await rulesBrokenBy("export const loose = (value: any): string => String(value);\n")).toEqual(["@typescript-eslint/no-explicit-any"]);
  });
});
