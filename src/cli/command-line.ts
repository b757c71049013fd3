import { parseArgs, type ParseArgsConfig } from "node:util";

// The command line of every tool in src/cli: -h/--help prints the tool's usage and exits 0; an
// unknown option, a missing value or an extra argument prints what is wrong and the usage, and
// exits 2 (a usage error), before the tool touches anything.
type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

export function readCommandLine<const O extends OptionsConfig>(
  usage: string,
  options: O,
  { maxPositionals = 0 }: { maxPositionals?: number } = {},
): { values: Parsed<O>["values"]; positionals: string[] } {
  const args = process.argv.slice(2);
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    // --help wins over anything wrong beside it.
    if (args.includes("--help") || args.includes("-h")) showUsage(usage);
    return failWithUsage(usage, parseProblem(error));
  }
  if ((parsed.values as { help?: boolean }).help) showUsage(usage);
  const extra = parsed.positionals.slice(maxPositionals);
  if (extra.length > 0) failWithUsage(usage, `余分な引数「${extra.join(" ")}」があります。`);
  return { values: parsed.values as Parsed<O>["values"], positionals: parsed.positionals };
}

export function failWithUsage(usage: string, problem: string): never {
  process.stderr.write(`${problem}\n\n${usage.trim()}\n`);
  process.exit(2);
}

function showUsage(usage: string): never {
  process.stdout.write(`${usage.trim()}\n`);
  process.exit(0);
}

// node:util's parse errors, in the operator's words.
function parseProblem(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(message ?? "")?.[1] ?? "";
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(" ")[0] ?? quoted;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `「${option}」というオプションはありません。`;
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return message?.includes("argument missing") ? `${option} のあとに値を書いてください。` : `${option} に値は付けられません。`;
  }
  return "コマンドラインの指定が正しくありません。";
}
