import type { IntentName } from "./intent-names.js";
import type { IntentSeed } from "./router.js";

// The baseline the router is measured against: the seeds' keywords matched as raw substrings of
// the message, with no normalization, readings, typo tolerance or examples (roughly what a keyword
// auto-response does, with our keyword lists). Used by eval:intents and bench:intents only.
export function substringBaseline(intents: IntentSeed[]): (text: string) => IntentName {
  const keywords = intents.flatMap((seed) => seed.keywords.map((keyword) => ({ intent: seed.intent, term: keyword.term, weight: keyword.weight })));
  return (text) => {
    const scores = new Map<IntentName, number>();
    for (const keyword of keywords) if (text.includes(keyword.term)) scores.set(keyword.intent, (scores.get(keyword.intent) ?? 0) + keyword.weight);
    let best: IntentName = "unknown";
    let bestScore = 0;
    for (const [intent, score] of scores) if (score > bestScore) [best, bestScore] = [intent, score];
    return best;
  };
}
