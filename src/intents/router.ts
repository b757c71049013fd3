import { containsWithOneEdit } from "./fuzzy.js";
import { extractEntities, type Entities, type EntityData } from "./entities.js";
import type { IntentName } from "./intent-names.js";
import { charNgrams } from "./ngrams.js";
import { compileLanguage, foldKana, normalize, type CompiledLanguage, type LanguageData } from "./normalize.js";

// The intent router: normalized text → scores per intent from two kinds of evidence held as data
// in seeds/intents (one file per intent):
//  - keywords (with their hiragana readings), found exactly or with one typo, weighted, with
//    diminishing returns so that many weak words do not outvote one strong one;
//  - similarity to the intent's example sentences over character 2/3-grams (TF-IDF, best example),
//    which carries word order changes, inflections and words the keyword lists lack.
// A KPI question is recognised by an indicator's name or alias *and* a cue of asking for figures.
// `unknown` competes with a fixed prior, so a message with little evidence for anything is unknown.

export interface IntentSeed {
  intent: IntentName;
  label: string;
  answer: string;
  keywords: { term: string; reading?: string | undefined; weight: number }[];
  examples: string[];
}

export interface RouterData {
  intents: IntentSeed[];
  language: LanguageData;
  entities: EntityData;
}

export interface RouterTuning {
  exampleWeight: number;
  unknownPrior: number;
  temperature: number;
  minConfidence: number;
  fuzzyFactor: number;
  kpiIndicatorBoost: number;
  // Second choice this close (ratio of confidences) to the first: the caller should ask.
  ambiguityRatio: number;
}

export const defaultTuning: RouterTuning = {
  exampleWeight: 6,
  unknownPrior: 2,
  temperature: 0.8,
  minConfidence: 0.35,
  fuzzyFactor: 0.6,
  kpiIndicatorBoost: 4,
  ambiguityRatio: 0.6,
};

export interface IntentResult {
  intent: IntentName;
  confidence: number;
  runnerUp: { intent: IntentName; confidence: number } | null;
  // True when the two best are close: ask the resident which one with quick replies.
  ambiguous: boolean;
  normalized: string;
  entities: Entities;
}

interface KeywordForm {
  intent: IntentName;
  weight: number;
  text: string;
  chars: string[];
  kanji: number;
}

interface ExampleVector {
  intent: IntentName;
  weights: Map<string, number>;
}

export interface Router {
  classify(text: string, now?: Date): IntentResult;
  intents: readonly IntentSeed[];
}

// `features` splits normalized text into the units compared with the examples: character n-grams
// by default; the segmentation comparison of issue 4 swapped in word segmenters here.
export function createRouter(
  data: RouterData,
  tuning: RouterTuning = defaultTuning,
  features: (normalized: string) => string[] = (text) => charNgrams(text),
): Router {
  const language = compileLanguage(data.language);
  const intentNames = data.intents.map((seed) => seed.intent);
  const keywordForms = compileKeywords(data.intents, language);
  const examples = compileExamples(data.intents, language, features);
  const entityMatcher = extractEntities(data.entities, language);

  return {
    intents: data.intents,
    classify(text, now = new Date()) {
      const normalized = normalize(text, language);
      const entities = entityMatcher(normalized, now);
      const scores = new Map<IntentName, number>(intentNames.map((name) => [name, 0]));

      const keywordHits = matchKeywords(normalized, keywordForms, tuning.fuzzyFactor);
      for (const [intent, weights] of keywordHits) scores.set(intent, (scores.get(intent) ?? 0) + diminishing(weights));
      for (const [intent, similarity] of examples.similarities(normalized)) {
        scores.set(intent, (scores.get(intent) ?? 0) + tuning.exampleWeight * similarity);
      }
      if (entities.indicators.length > 0 && diminishing(keywordHits.get("kpi") ?? []) >= 3) {
        scores.set("kpi", (scores.get("kpi") ?? 0) + tuning.kpiIndicatorBoost);
      }
      scores.set("unknown", (scores.get("unknown") ?? 0) + tuning.unknownPrior);
      return decide(scores, tuning, normalized, entities);
    },
  };
}

function decide(scores: Map<IntentName, number>, tuning: RouterTuning, normalized: string, entities: Entities): IntentResult {
  const entries = [...scores];
  const max = Math.max(...entries.map(([, score]) => score));
  const exps = entries.map(([intent, score]) => [intent, Math.exp((score - max) / tuning.temperature)] as const);
  const total = exps.reduce((sum, [, value]) => sum + value, 0);
  const ranked = exps.map(([intent, value]) => ({ intent, confidence: value / total })).sort((a, b) => b.confidence - a.confidence);
  const [first, second] = ranked as [{ intent: IntentName; confidence: number }, { intent: IntentName; confidence: number }];
  const tooUnsure = first.intent !== "unknown" && first.confidence < tuning.minConfidence;
  const intent = tooUnsure ? "unknown" : first.intent;
  const runnerUp = tooUnsure ? first : second;
  return {
    intent,
    confidence: round(tooUnsure ? 1 - first.confidence : first.confidence),
    runnerUp: runnerUp ? { intent: runnerUp.intent, confidence: round(runnerUp.confidence) } : null,
    ambiguous:
      !tooUnsure && first.intent !== "unknown" && second.intent !== "unknown" && second.confidence >= tuning.ambiguityRatio * first.confidence,
    normalized,
    entities,
  };
}

function isKanji(char: string): boolean {
  return /\p{Script=Han}/u.test(char);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// The strongest piece of evidence counts fully, the next half, the next a quarter, …
function diminishing(weights: number[]): number {
  return [...weights].sort((a, b) => b - a).reduce((sum, weight, index) => sum + weight / 2 ** index, 0);
}

function compileKeywords(intents: IntentSeed[], language: CompiledLanguage): KeywordForm[] {
  const forms: KeywordForm[] = [];
  for (const seed of intents) {
    for (const keyword of seed.keywords) {
      const texts = new Set([normalize(keyword.term, language), ...(keyword.reading ? [foldKana(keyword.reading)] : [])]);
      for (const text of texts) {
        if (text) forms.push({ intent: seed.intent, weight: keyword.weight, text, chars: [...text], kanji: [...text].filter(isKanji).length });
      }
    }
  }
  return forms;
}

function matchKeywords(normalized: string, forms: KeywordForm[], fuzzyFactor: number): Map<IntentName, number[]> {
  const hits = new Map<IntentName, Map<string, number>>();
  const chars = [...normalized];
  const present = new Set(chars);
  const record = (form: KeywordForm, weight: number) => {
    const perIntent = hits.get(form.intent) ?? new Map<string, number>();
    // A keyword counts once per intent even when both its kanji and its reading match.
    perIntent.set(form.text, Math.max(perIntent.get(form.text) ?? 0, weight));
    hits.set(form.intent, perIntent);
  };
  for (const form of forms) {
    if (normalized.includes(form.text)) {
      record(form, form.weight);
      continue;
    }
    // One edit in a short kana form would match unrelated words (つかな ~ るかな); three kanji
    // are specific enough (住民表 ~ 住民票).
    if (form.chars.length < 4 && !(form.chars.length === 3 && form.kanji >= 2)) continue;
    let shared = 0;
    for (const char of form.chars) if (present.has(char)) shared += 1;
    if (shared >= form.chars.length - 1 && containsWithOneEdit(chars, form.chars)) record(form, form.weight * fuzzyFactor);
  }
  return new Map([...hits].map(([intent, perForm]) => [intent, dedupeContained(perForm)]));
}

// When both "印鑑" and "印鑑証明" match, the shorter adds nothing the longer did not say.
function dedupeContained(perForm: Map<string, number>): number[] {
  const texts = [...perForm.keys()];
  return texts
    .filter((text) => !texts.some((other) => other !== text && other.includes(text) && perForm.get(other)! >= perForm.get(text)!))
    .map((text) => perForm.get(text)!);
}

function compileExamples(intents: IntentSeed[], language: CompiledLanguage, features: (normalized: string) => string[]) {
  const documents = intents.flatMap((seed) => seed.examples.map((example) => ({ intent: seed.intent, grams: features(normalize(example, language)) })));
  const documentFrequency = new Map<string, number>();
  for (const document of documents) for (const gram of new Set(document.grams)) documentFrequency.set(gram, (documentFrequency.get(gram) ?? 0) + 1);
  const idf = (gram: string) => Math.log((documents.length + 1) / ((documentFrequency.get(gram) ?? 0) + 1)) + 1;
  const vectors: ExampleVector[] = documents.map((document) => ({ intent: document.intent, weights: unitVector(document.grams, idf) }));
  // Inverted index: n-gram → the examples containing it, with its weight there.
  const postings = new Map<string, { example: number; weight: number }[]>();
  vectors.forEach((vector, example) => {
    for (const [gram, weight] of vector.weights) {
      const list = postings.get(gram) ?? [];
      list.push({ example, weight });
      postings.set(gram, list);
    }
  });
  return {
    similarities(normalized: string): Map<IntentName, number> {
      const query = unitVector(features(normalized), idf);
      const dots = new Float64Array(vectors.length);
      for (const [gram, weight] of query) for (const posting of postings.get(gram) ?? []) dots[posting.example]! += weight * posting.weight;
      const best = new Map<IntentName, number>();
      dots.forEach((dot, example) => {
        const intent = vectors[example]!.intent;
        if (dot > (best.get(intent) ?? 0)) best.set(intent, dot);
      });
      return best;
    },
  };
}

function unitVector(grams: string[], idf: (gram: string) => number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const gram of grams) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  let norm = 0;
  const weights = new Map<string, number>();
  for (const [gram, count] of counts) {
    const weight = count * idf(gram);
    weights.set(gram, weight);
    norm += weight * weight;
  }
  norm = Math.sqrt(norm) || 1;
  for (const [gram, weight] of weights) weights.set(gram, weight / norm);
  return weights;
}
