// Text as residents type it → one canonical form the scorer and the entity extractor read.
// Pure functions; the language data (emoji words, dialect forms) comes from seeds/language.
//
// Rules, in order:
//  1. NFKC: half-width kana → full-width (ｲｼﾞｭｳ → イジュウ), full-width letters and digits → ASCII.
//  2. Emoji that carry meaning become words (🏠 → 家); other emoji, variation selectors and ZWJ go.
//  3. Lower case; digit groups lose their commas (3,000 → 3000).
//  4. Iteration marks are spelled out (時々 → 時時, いすゞ → いすず).
//  5. Katakana → hiragana (イジュウ → いじゅう), so either script matches.
//  6. A long-vowel mark becomes the vowel it lengthens (めにゅー → めにゅう); runs of ー or 〜 fold.
//  7. Small kana become full size (いじゅう ~ いじゆう, a common slip on phones).
//  8. Kanji numerals that are numbers become digits (三万 → 30000, 令和五年度 → 令和5年度), not words
//     such as 一覧 or 一緒.
//  9. Punctuation and symbols become single spaces.
// 10. Dialect forms become common Japanese (どぎゃん → どう), sentence-final ones only at the end.

export interface LanguageData {
  emoji: Record<string, string>;
  dialect: { from: string; to: string }[];
}

export interface CompiledLanguage {
  emoji: Map<string, string>;
  dialect: { pattern: RegExp; to: string }[];
}

export function compileLanguage(data: LanguageData): CompiledLanguage {
  const emoji = new Map<string, string>();
  for (const [symbol, word] of Object.entries(data.emoji)) emoji.set(stripVariation(symbol.normalize("NFKC")), word);
  const dialect = [...data.dialect]
    .sort((a, b) => b.from.length - a.from.length)
    .map(({ from, to }) => {
      const atEnd = from.endsWith("$");
      const body = escapeRegExp(foldKana(from.replace(/\$$/, "")));
      return { pattern: new RegExp(atEnd ? `${body}(?= |$)` : body, "g"), to: foldKana(to) };
    });
  return { emoji, dialect };
}

export function normalize(text: string, language: CompiledLanguage): string {
  let out = text.normalize("NFKC");
  out = replaceEmoji(out, language.emoji);
  out = out.toLowerCase().replace(/(\d),(?=\d{3}\b)/g, "$1");
  out = expandIterationMarks(out);
  out = foldKana(out);
  out = kanjiNumeralsToDigits(out);
  out = out.replace(PUNCTUATION, " ").replace(/\s+/g, " ").trim();
  for (const rule of language.dialect) out = out.replace(rule.pattern, rule.to);
  return out.replace(/\s+/g, " ").trim();
}

// Katakana → hiragana, long vowels spelled out, small kana full size. Used on data and input alike.
export function foldKana(text: string): string {
  let out = "";
  let previousWasMark = false;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    const hiragana = code >= 0x30a1 && code <= 0x30f6 ? String.fromCodePoint(code - 0x60) : char;
    if (hiragana === "ー" || hiragana === "〜" || hiragana === "～") {
      // すごーーーい and すごーい say the same: only the first mark of a run adds the vowel.
      const vowel = previousWasMark ? null : vowelOf(out.at(-1));
      if (vowel) out += vowel;
      previousWasMark = true;
      continue;
    }
    previousWasMark = false;
    out += SMALL_TO_FULL[hiragana] ?? hiragana;
  }
  return out;
}

const SMALL_TO_FULL: Record<string, string> = {
  ぁ: "あ", ぃ: "い", ぅ: "う", ぇ: "え", ぉ: "お", っ: "つ", ゃ: "や", ゅ: "ゆ", ょ: "よ", ゎ: "わ", ゕ: "か", ゖ: "け",
};

// The vowel a kana ends in (for ー). Kanji or latin before ー: no vowel, the mark is dropped.
const VOWEL_ROWS: [string, string][] = [
  ["あかがさざただなはばぱまやらわぁゃゎ", "あ"],
  ["いきぎしじちぢにひびぴみりぃ", "い"],
  ["うくぐすずつづぬふぶぷむゆるぅゅゔ", "う"],
  ["えけげせぜてでねへべぺめれぇ", "え"],
  ["おこごそぞとどのほぼぽもよろをぉょ", "お"],
];
function vowelOf(char: string | undefined): string | null {
  if (!char) return null;
  for (const [row, vowel] of VOWEL_ROWS) if (row.includes(char)) return vowel;
  return null;
}

function expandIterationMarks(text: string): string {
  const chars = [...text];
  for (let i = 1; i < chars.length; i += 1) {
    const previous = chars[i - 1]!;
    if (chars[i] === "々" || chars[i] === "ゝ" || chars[i] === "ヽ") chars[i] = previous;
    else if (chars[i] === "ゞ" || chars[i] === "ヾ") chars[i] = String.fromCodePoint(previous.codePointAt(0)! + 1);
  }
  return chars.join("");
}

function replaceEmoji(text: string, words: Map<string, string>): string {
  return text.replace(EMOJI_SEQUENCE, (match) => {
    const word = words.get(stripVariation(match)) ?? words.get([...stripVariation(match)][0] ?? "");
    return word === undefined ? " " : ` ${word} `;
  });
}

function stripVariation(text: string): string {
  return text.replace(/[\uFE0E\uFE0F]/g, "");
}

const EMOJI_SEQUENCE = /(?:\p{Extended_Pictographic}|\p{Regional_Indicator})(?:[\uFE0E\uFE0F\u{1F3FB}-\u{1F3FF}]|\u200D(?:\p{Extended_Pictographic}))*[\uFE0E\uFE0F]?/gu;
const PUNCTUATION = /[\s、。，．,.・!?！？…‥「」『』()（）\[\]【】［］{}｛｝"'`´:;：；/／\\|｜_＿=＝+＋*＊#＃@＠&＆^＾$＄<>＜＞~〜～♪☆★○●◎◇◆□■△▲▽▼※→←↑↓]+/gu;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Kanji numerals → digits, for runs that are numbers: two or more numeral characters (三万, 二十),
// or one digit character before a counter (五年度, 三件). 一覧, 一緒, 十分 stay as they are.
const NUMERAL_DIGITS: Record<string, number> = { 〇: 0, 零: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const SMALL_UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };
const LARGE_UNITS: Record<string, number> = { 万: 10_000, 億: 100_000_000 };
const COUNTERS = "円年月日件人歳階部割ヶか個名回度";

function kanjiNumeralsToDigits(text: string): string {
  return text.replace(/[〇零一二三四五六七八九十百千万億\d]+/g, (run, offset: number) => {
    if (/^\d+$/.test(run)) return run;
    const hasDigitChar = /[〇零一二三四五六七八九\d]/.test(run);
    const next = text[offset + run.length] ?? "";
    const isNumber = hasDigitChar && ([...run].length >= 2 || COUNTERS.includes(next));
    if (!isNumber || /^[万億]/.test(run)) return run;
    const value = parseKanjiNumber(run);
    return value === null ? run : String(value);
  });
}

export function parseKanjiNumber(run: string): number | null {
  let total = 0;
  let section = 0;
  let digits = "";
  const flushDigits = () => {
    const value = digits === "" ? null : Number(digits);
    digits = "";
    return value;
  };
  for (const char of run) {
    if (/\d/.test(char)) digits += char;
    else if (char in NUMERAL_DIGITS) digits += String(NUMERAL_DIGITS[char]);
    else if (char in SMALL_UNITS) section += (flushDigits() ?? 1) * SMALL_UNITS[char]!;
    else if (char in LARGE_UNITS) {
      section += flushDigits() ?? 0;
      total += (section === 0 ? 1 : section) * LARGE_UNITS[char]!;
      section = 0;
    } else return null;
  }
  return total + section + (flushDigits() ?? 0);
}
