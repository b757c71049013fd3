import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitFor } from "./webhook-client.js";

// The server and the command-line tools as an operator runs them: separate processes of
// src/main.ts and src/cli/*.ts, configured only by their environment (what `npm start` and
// `npm run <tool>` start, without npm in between).
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function spawnServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

// The server's address, from its "bot started" log line (it listens on PORT=0).
export async function serverUrl(server: ServerProcess): Promise<string> {
  const port = await waitFor(async () => server.output().match(/"port":(\d+)[^\n]*"bot started"/), "the start line", 60_000);
  return `http://127.0.0.1:${port[1]}`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// `input` is written to the tool's stdin (staff:create reads the password from its first line).
export function runCli(script: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ["--import", "tsx", `src/cli/${script}.ts`, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(options.input ?? "");
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
