import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";

const menuItemSchema = z.strictObject({
  // LINE's limit for a quick-reply action label.
  label: z.string().min(1).max(20),
  text: z.string().min(1).max(300),
});

const answer = z.string().min(1).max(5000);

export const botTextsSchema = z.strictObject({
  bot_name: z.string().min(1),
  welcome: answer,
  welcome_back: answer,
  text_fallback: answer,
  which_one: answer,
  no_open_survey: answer,
  postback_fallback: answer,
  image_received: answer,
  video_received: answer,
  audio_received: answer,
  file_received: answer,
  location_received: answer,
  sticker_received: answer,
  other_received: answer,
  // LINE shows at most 13 quick-reply buttons.
  main_menu: z.array(menuItemSchema).min(1).max(13),
});

export type BotTexts = z.infer<typeof botTextsSchema>;

export const defaultTextsFile = fileURLToPath(new URL("../../seeds/texts.yaml", import.meta.url));

export async function loadBotTexts(file = defaultTextsFile): Promise<BotTexts> {
  const parsed = botTextsSchema.safeParse(parse(await readFile(file, "utf8")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`);
    throw new Error(`${file} is not valid: ${problems.join("; ")}`);
  }
  return parsed.data;
}
