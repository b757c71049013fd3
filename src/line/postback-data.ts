import { z } from "zod";

// Postback data the bot puts on its buttons: "v1|<flow>|<action>|<argument>". Versioned so that a
// button from an older message can be recognised as stale, and parsed with zod because anyone can
// send any postback data: a forged or stale one gets a polite answer, never an exception.
export const POSTBACK_VERSION = "v1";

const segment = z.string().regex(/^[a-z_]{1,32}$/);
const postbackSchema = z.object({
  version: z.literal(POSTBACK_VERSION),
  flow: segment,
  action: segment,
  argument: z.string().max(200),
});

export type PostbackData = z.infer<typeof postbackSchema>;

export function postbackData(flow: string, action: string, argument = ""): string {
  return [POSTBACK_VERSION, flow, action, argument.replace(/\|/g, "")].join("|");
}

export function parsePostbackData(data: string): PostbackData | null {
  if (data.length > 300) return null;
  const [version, flow, action, ...rest] = data.split("|");
  const parsed = postbackSchema.safeParse({ version, flow, action, argument: rest.join("|") });
  return parsed.success ? parsed.data : null;
}
