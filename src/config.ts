import { z } from "zod";
import { parseTrustProxy, type TrustProxy } from "./trust-proxy.js";

// The one place that reads process.env. A bad or missing value stops the start with one clear
// line per variable (see formatConfigErrors).
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((value) => value === "1" || value === "true");

const httpUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine((value) => /^https?:\/\/[^\s]+$/.test(value), "must be an http(s) URL such as https://api.line.me")
    .transform((value) => value.replace(/\/+$/, ""));

const environmentSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: optionalText.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
      "must be a postgres:// URL, or unset to use the embedded database in DATA_DIR",
    ),
    DATA_DIR: z.string().trim().min(1).default("./.data"),
    LINE_CHANNEL_SECRET: optionalText,
    LINE_CHANNEL_ACCESS_TOKEN: optionalText,
    LINE_API_BASE_URL: httpUrl("https://api.line.me"),
    LINE_DATA_API_BASE_URL: httpUrl("https://api-data.line.me"),
    DEV_CHAT: flag,
    // Where residents' LINE app reaches this server; LINE loads images only over https.
    PUBLIC_BASE_URL: optionalText
      .refine((value) => value === undefined || /^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value), "must be an https URL such as https://line.example.jp (LINE loads images only over https)")
      .transform((value) => value?.replace(/\/+$/, "")),
    // How long personal data in closed inquiries and reports is kept (the city's retention rules decide).
    PERSONAL_DATA_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(1095),
    // The longest one call to LINE's API may take (connect, answer, body), in milliseconds.
    LINE_API_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(10_000),
    // How long an answer LINE could not take stays worth sending, in hours (then: expired).
    ANSWER_MAX_AGE_HOURS: z.coerce.number().min(1).max(24 * 7).default(24),
    // Which proxies' X-Forwarded-For / X-Forwarded-Proto are believed (trust-proxy.ts); off when unset.
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((value, context) => {
        const parsed = parseTrustProxy(value);
        if (parsed.ok) return parsed.value;
        context.addIssue({ code: "custom", message: parsed.reason });
        return z.NEVER;
      }),
    APP_ROLE: z.enum(["all", "web", "worker"]).default("all"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    NODE_ENV: z.string().optional(),
  });

// Rules across variables, checked on the raw environment so that they are reported together with
// any per-variable problem (one line per variable, all at once).
function credentialProblems(env: Record<string, string | undefined>): [string, string][] {
  const secret = Boolean(env.LINE_CHANNEL_SECRET?.trim());
  const token = Boolean(env.LINE_CHANNEL_ACCESS_TOKEN?.trim());
  if (env.NODE_ENV === "production" && !secret && !token) {
    const reason = "is missing: NODE_ENV=production needs the LINE channel's credentials (local mode is for trying the bot)";
    return [
      ["LINE_CHANNEL_SECRET", reason],
      ["LINE_CHANNEL_ACCESS_TOKEN", reason],
    ];
  }
  if (token && !secret) return [["LINE_CHANNEL_SECRET", "is missing: set it, or unset LINE_CHANNEL_ACCESS_TOKEN too to run in local mode"]];
  if (secret && !token) return [["LINE_CHANNEL_ACCESS_TOKEN", "is missing: set it, or unset LINE_CHANNEL_SECRET too to run in local mode"]];
  return [];
}

export type Environment = z.input<typeof environmentSchema>;

// In local mode there is no LINE channel: the dev chat page signs events with this secret and the
// in-process stand-in for the LINE API accepts this token. Neither is secret; neither leaves the machine.
export const LOCAL_CHANNEL_SECRET = "local-mode-channel-secret";
export const LOCAL_CHANNEL_ACCESS_TOKEN = "local-mode-access-token";

export interface Config {
  port: number;
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  line: {
    channelSecret: string;
    channelAccessToken: string;
    apiBaseUrl: string;
    dataApiBaseUrl: string;
    // True when LINE_API_BASE_URL was set: in local mode the stand-in is used only when it was not.
    apiBaseUrlIsExplicit: boolean;
    timeoutMs: number;
    answerMaxAgeMs: number;
  };
  localMode: boolean;
  devChat: boolean;
  // The https origin (and path prefix, if any) residents' LINE app reaches this server at; null when unset.
  publicBaseUrl: string | null;
  role: "all" | "web" | "worker";
  // express's `trust proxy`: false, a hop count, or the proxies' addresses and CIDRs (TRUST_PROXY).
  trustProxy: TrustProxy;
  retentionDays: number;
  logLevel: string;
  production: boolean;
}

export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(`Invalid configuration:\n${lines.join("\n")}`);
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  const crossProblems = credentialProblems(env).map(([name, reason]) => `${name}: ${reason}`);
  if (!parsed.success || crossProblems.length > 0) {
    throw new ConfigError([...(parsed.success ? [] : formatConfigErrors(parsed.error, env)), ...crossProblems]);
  }
  const e = parsed.data;
  const localMode = !e.LINE_CHANNEL_SECRET && !e.LINE_CHANNEL_ACCESS_TOKEN;
  return {
    port: e.PORT,
    database: e.DATABASE_URL ? { kind: "postgres", url: e.DATABASE_URL } : { kind: "pglite", dataDir: e.DATA_DIR },
    line: {
      channelSecret: e.LINE_CHANNEL_SECRET ?? LOCAL_CHANNEL_SECRET,
      channelAccessToken: e.LINE_CHANNEL_ACCESS_TOKEN ?? LOCAL_CHANNEL_ACCESS_TOKEN,
      apiBaseUrl: e.LINE_API_BASE_URL,
      dataApiBaseUrl: e.LINE_DATA_API_BASE_URL,
      apiBaseUrlIsExplicit: Boolean(env.LINE_API_BASE_URL?.trim()),
      timeoutMs: e.LINE_API_TIMEOUT_MS,
      answerMaxAgeMs: e.ANSWER_MAX_AGE_HOURS * 3_600_000,
    },
    localMode,
    devChat: localMode || e.DEV_CHAT,
    publicBaseUrl: e.PUBLIC_BASE_URL ?? null,
    role: e.APP_ROLE,
    trustProxy: e.TRUST_PROXY,
    retentionDays: e.PERSONAL_DATA_RETENTION_DAYS,
    logLevel: e.LOG_LEVEL,
    production: e.NODE_ENV === "production",
  };
}

// One line per variable, never echoing a value (it may be a secret).
function formatConfigErrors(error: z.ZodError, env: Record<string, string | undefined>): string[] {
  const byVariable = new Map<string, string[]>();
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? "environment");
    const reason = issue.code === "invalid_value" || issue.code === "invalid_type" ? describeExpected(name, issue) : issue.message;
    byVariable.set(name, [...(byVariable.get(name) ?? []), reason]);
  }
  return [...byVariable].map(([name, reasons]) => {
    const state = env[name] === undefined ? "" : " (current value rejected)";
    return `${name}${state}: ${reasons.join("; ")}`;
  });
}

function describeExpected(name: string, issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map(String).join(", ")}`;
  return `${issue.message} for ${name}`;
}
