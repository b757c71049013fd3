import { fileURLToPath } from "node:url";
import { z } from "zod";
import { readSeedFile } from "./load-seeds.js";

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
  flow_cancelled: answer,
  nothing_to_cancel: answer,
  flow_expired: answer,
  postback_stale: answer,
  flow_resume_question: answer,
  resume_button: z.string().min(1).max(20),
  cancel_button: z.string().min(1).max(20),
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

export function loadBotTexts(file = defaultTextsFile): Promise<BotTexts> {
  return readSeedFile(file, botTextsSchema);
}
