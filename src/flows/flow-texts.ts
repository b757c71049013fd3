import path from "node:path";
import { z } from "zod";
import { defaultSeedsDir, readSeedFile } from "../seeds/load-seeds.js";

// The words of each conversation flow, from seeds/flows/*.yaml.
const answer = z.string().min(1).max(5000);
const label = z.string().min(1).max(20);
const choiceQuestion = z.strictObject({ prompt: answer, choices: z.array(label).min(2).max(12) });
const freeQuestion = z.strictObject({ prompt: answer });
const checkedQuestion = z.strictObject({ prompt: answer, invalid: answer });

export const relocationTextsSchema = z.strictObject({
  department: z.string().min(1),
  start_button: label,
  intro: answer,
  topic: choiceQuestion,
  household: choiceQuestion,
  residence: freeQuestion,
  contact_method: choiceQuestion,
  phone: checkedQuestion,
  email: checkedQuestion,
  details: freeQuestion,
  confirm: z.strictObject({
    prompt: answer,
    send: label,
    restart: label,
    labels: z.strictObject({ topic: label, household: label, residence: label, contact: label, details: label }),
  }),
  done: answer.refine((text) => text.includes("{reference}"), "must contain {reference}"),
});

export const humanTextsSchema = z.strictObject({
  department: z.string().min(1),
  opened: answer.refine((text) => text.includes("{reference}"), "must contain {reference}"),
});

export type RelocationTexts = z.infer<typeof relocationTextsSchema>;
export type HumanTexts = z.infer<typeof humanTextsSchema>;
export interface FlowTexts {
  relocation: RelocationTexts;
  human: HumanTexts;
}

export async function loadFlowTexts(dir = defaultSeedsDir): Promise<FlowTexts> {
  return {
    relocation: await readSeedFile(path.join(dir, "flows", "relocation.yaml"), relocationTextsSchema),
    human: await readSeedFile(path.join(dir, "flows", "human.yaml"), humanTextsSchema),
  };
}
