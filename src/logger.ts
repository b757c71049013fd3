import { pino, type Logger } from "pino";

export type { Logger };

// Structured JSON lines. Message text, reply tokens and credentials never reach a log line: the
// code logs ids and counts only, and these paths are redacted in case an object slips through.
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "hitoyoshi-line-bot" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        "replyToken",
        "*.replyToken",
        "text",
        "*.text",
        "message.text",
        "headers.authorization",
        "headers[\"x-line-signature\"]",
        "channelSecret",
        "channelAccessToken",
      ],
      censor: "[redacted]",
    },
  });
}
