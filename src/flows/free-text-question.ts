import type { IntentName } from "../intents/intent-names.js";
import { foldKana } from "../intents/normalize.js";
import type { IntentResult } from "../intents/router.js";

// Whether text typed mid-form asks something else (answered, then "continue?") rather than
// answering the step. Pure: the router's reading of the text and the shape of the sentence decide.
//
// At a choice step anything that is not a choice and that the router is sure is another intent
// interrupts. A free-text step takes any text, so there the bar is higher: the sentence must be
// shaped like a question (「…は？」「…ますか」「…を教えて」「…はいつ」) or, where the step asks for a
// fact, a wish (「職員と話したい」); the router must be sure of an intent that is not this step's
// subject; and a text that also tells what the step asks about is an answer. Mentioning a word of
// another intent is not asking: 「空き家の前の道路が陥没」 is where and what is wrong.

// What a free-text step asks for.
//  - fact: a place, an address, a description of what is wrong, a phone number. A question or a
//    wish for another service there is not an answer.
//  - message: the resident's own words to the city (a consultation, questions on a house, an
//    opinion). Questions and wishes are what is expected; only a clear question on an unrelated
//    service interrupts.
// `topics`: intents that are this step's subject besides the flow's own (housing, at a
// relocation consultation's free text).
export interface FreeTextStep {
  asks: "fact" | "message";
  topics?: readonly IntentName[];
}

export interface TypedMidForm {
  // As typed; `understood` is the router's reading of it.
  text: string;
  understood: IntentResult;
  // The intent the flow serves.
  flowIntent: IntentName;
  // Whether the flow takes the text as an answer to the step (flow.recognizes).
  isAnswer: boolean;
  // Set when the step takes free text.
  freeText: FreeTextStep | null;
}

// An interruption must be this sure of a different intent; less sure text is the step's business.
const INTERRUPTION_CONFIDENCE = 0.6;
// Where questions are the expected answer, the router must be surer of another subject.
const MESSAGE_STEP_CONFIDENCE = 0.7;
// A text that is this much about the step's subject too, in a sentence of its own, answers it.
const MIXED_CONFIDENCE = 0.15;

// Intents that never interrupt: nothing understood, or a greeting said in passing.
const NEVER_INTERRUPT: readonly IntentName[] = ["unknown", "greeting"];

export function asksSomethingElse(typed: TypedMidForm): boolean {
  const { understood, flowIntent, freeText } = typed;
  const subjects: IntentName[] = [flowIntent, ...(freeText?.topics ?? [])];
  if (NEVER_INTERRUPT.includes(understood.intent) || subjects.includes(understood.intent)) return false;
  if (!freeText) return !typed.isAnswer && understood.confidence >= INTERRUPTION_CONFIDENCE;
  if (!typed.isAnswer) return understood.confidence >= INTERRUPTION_CONFIDENCE;

  const shape = utteranceShape(typed.text, understood.normalized);
  if (shape === "statement" || (shape === "wish" && freeText.asks === "message")) return false;
  if (understood.confidence < (freeText.asks === "fact" ? INTERRUPTION_CONFIDENCE : MESSAGE_STEP_CONFIDENCE)) return false;
  // 「空き家の前の道路が陥没しています。危なくないですか？」: the report, with a question about it.
  const runnerUp = understood.runnerUp;
  const sentences = sentencesOf(typed.text);
  const alsoAnswers =
    runnerUp !== null &&
    subjects.includes(runnerUp.intent) &&
    runnerUp.confidence >= MIXED_CONFIDENCE &&
    sentences.length >= 2 &&
    sentences.some((sentence) => utteranceShape(sentence, sentence) === "statement");
  return !alsoAnswers;
}

export type UtteranceShape = "question" | "wish" | "statement";

// The shape of a message, from its words: `text` as typed (for 「？」) and `normalized` by the
// router (kana folded to hiragana, dialect rewritten, punctuation gone), so that 「おしえて」 and
// 「教えて」, 「どぎゃんすれば」 and 「どうすれば」 read the same.
export function utteranceShape(text: string, normalized: string): UtteranceShape {
  const words = foldKana(normalized.normalize("NFKC")).trim();
  if (ASKS_TO_BE_TOLD_LATER.test(words)) return "wish";
  if (ASKS_TO_BE_TOLD.test(words)) return "question";
  // 「空き家を取り壊してもらえませんか」 asks the city to act: it says what is wrong, not a question
  // for this LINE to answer.
  if (ASKS_TO_ACT.test(words)) return "statement";
  // 「水道管が破裂してるみたい？」: unsure of what is seen, still telling it.
  if (HEDGE_END.test(words)) return "statement";
  if (QUESTION_MARK.test(text.normalize("NFKC")) || QUESTION_END.test(words) || INTERROGATIVE_END.test(words)) return "question";
  if (WISH_END.test(words) && !ACT_WISH.test(words)) return "wish";
  return "statement";
}

// The cues are written as people write them and matched as the router normalizes text: small
// kana full size (って → つて, でしょう → でしよう).
const cue = (pattern: RegExp) => new RegExp(foldKana(pattern.source));

// Sentences and clauses as the resident separated them.
function sentencesOf(text: string): string[] {
  return text
    .normalize("NFKC")
    .split(/[。．.!?\n、,]+|\s+/)
    .map((part) => part.trim())
    .filter(Boolean);
}

// 「教えて」「知りたい」「どうすれば」「質問」 (❓ reads as 質問): asking, wherever it stands.
// 「教えたくない」 is not.
const ASKS_TO_BE_TOLD =
  cue(/(教えて|おしえて|知りたい|しりたい|知りたく|聞きたい|ききたい|伺いたい|うかがいたい|どうすれば|どうしたら|どうやって|どうやったら|どのように|どのくらい|どのぐらい|どれくらい|どれぐらい|質問|しつもん|見せて|みせて|代わって|替わって|つないで|繋いで|取り次いで|とりついで)/);
// 「ごみの日を教えてほしい」: a wish to be told (an opinion, at a survey's free text).
const ASKS_TO_BE_TOLD_LATER = cue(/(教えて|おしえて)(ほし|欲し|もらいた|いただきた|頂きた)/);
// 「…てもらえませんか」「…ていただけますか」「…てくれる？」 at the end.
const ASKS_TO_ACT = cue(/(て|で)(もらえ|いただけ|頂け|くれ|下さ|くださ)[^ ]{0,5}$/);
// 「…みたい」「…かも」「…っぽい」「…らしい」 at the end; 「…てみたい」 is a wish.
const HEDGE_END = cue(/((?<![てで])みたい|かも|かもしれない|かもしれません|っぽい|らしい|ようです|気がする|気がします)$/);
const QUESTION_MARK = /[?❓❔]/u;
// 「…ますか」「…でしょうか」「…取れるかな」「…あるの」「…は」(「成約件数は」) 「…とは」「…って」.
const QUESTION_END = cue(/((ます|です|でしょう|ません|ました|でした|る|い|た|の|ん)か(な|ね|しら|なあ)?|(る|た|い|ん)の|は|とは|って)$/);
// 「次回はいつ」「何件」「いくらですか」「どこで」.
const INTERROGATIVE_END =
  cue(/(いつ|どこ|何[件人時日年回円個名歳月番]?|なに|なん[件人時日年回円個名歳月番]?|いくら|いくつ|どれ|どなた|だれ|誰|どんな|どう)(から|まで|で|に|へ|が|を|ごろ|頃|くらい|ぐらい)?(です|でしょう|だ)?$/);
// 「…したい」「…したいのですが」「…したいです」.
const WISH_END = cue(/たい(です|んです|のです|んだ)?(が|けど|けれど|けれども|な|なあ)?$/);
// 「…してもらいたい」「…していただきたい」: the city is asked to act (what a report says).
const ACT_WISH = cue(/(もらい|いただき|頂き|貰い)たい/);
