import { pino, type DestinationStream, type Logger } from "pino";
import { serializeError, userPseudonym } from "./log-errors.js";

export type { Logger };

// Structured JSON lines. Message text, reply tokens and credentials never reach a log line: the
// code logs ids and counts only, and these paths are redacted in case an object slips through.
// Errors are written without the row values Postgres puts in them, and LINE user ids as pseudonyms
// (log-errors.ts). `destination` is stdout unless a test collects the lines.
const USER_ID_PATHS = ["userId", "*.userId", "user_id", "*.user_id", "userIds", "*.userIds"];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "hitoyoshi-line-bot" },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError, error: serializeError },
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
        ...USER_ID_PATHS,
      ],
      censor: (value: unknown, path: string[]) => {
        const key = path.at(-1) ?? "";
        if (key === "userIds" && Array.isArray(value)) return value.map(userPseudonym);
        return key === "userId" || key === "user_id" ? userPseudonym(value) : "[redacted]";
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
