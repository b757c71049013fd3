import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { compileLanguage, foldKana, normalize, parseKanjiNumber } from "../../src/intents/normalize.js";

const language = compileLanguage(parse(readFileSync(fileURLToPath(new URL("../../seeds/language/normalization.yaml", import.meta.url)), "utf8")));
const n = (text: string) => normalize(text, language);

describe("normalization", () => {
  it("NFKC: half-width kana become full-width, full-width letters and digits ASCII", () => {
    expect(n("ｲｼﾞｭｳ")).toBe("いじゆう");
    expect(n("ｸﾞﾙｰﾌﾟ")).toBe("ぐるうぷ");
    expect(n("ＫＰＩ　１２３")).toBe("kpi 123");
  });

  it("katakana and hiragana fold together", () => {
    expect(n("アンケート")).toBe(n("あんけーと"));
    expect(n("マイナンバー")).toBe("まいなんばあ");
    expect(n("ヴ")).toBe("ゔ");
  });

  it("long-vowel marks become the vowel they lengthen, and runs fold", () => {
    expect(foldKana("めにゅー")).toBe("めにゆう");
    expect(foldKana("ヘルプー")).toBe("へるぷう");
    expect(n("すごーーーい")).toBe("すごおい");
    expect(n("移住〜")).toBe("移住");
  });

  it("small kana become full size, so a slip on a phone still matches", () => {
    expect(n("じゅうみんひょう")).toBe(n("じゆうみんひよう"));
    expect(n("ちょっと")).toBe("ちよつと");
  });

  it("iteration marks are spelled out", () => {
    expect(n("時々")).toBe("時時");
    expect(n("人々")).toBe("人人");
    expect(n("いすゞ")).toBe("いすず");
    expect(n("こゝろ")).toBe("こころ");
  });

  it("punctuation and whitespace become single spaces", () => {
    expect(n("移住、したい！！　よろしく…")).toBe("移住 したい よろしく");
    expect(n("「空き家」（賃貸）")).toBe("空き家 賃貸");
  });

  it("emoji that carry meaning become words, the others go", () => {
    expect(n("🏠探してます")).toBe("家 探してます");
    expect(n("🙋‍♀️")).toBe("質問");
    expect(n("💡きれとる")).toBe("街灯 きれとる");
    expect(n("移住😀😀")).toBe("移住");
  });

  it("numbers in kanji become digits, words with numeral characters stay", () => {
    expect(n("月三万以内")).toBe("月30000以内");
    expect(n("五百万円以下")).toBe("5000000円以下");
    expect(n("令和五年度")).toBe("令和5年度");
    expect(n("二千二十五年")).toBe("2025年");
    expect(n("4万5千円")).toBe("45000円");
    expect(n("３,０００円")).toBe("3000円");
    expect(n("一覧を見たい")).toBe("一覧を見たい");
    expect(n("一緒に")).toBe("一緒に");
    expect(n("十分です")).toBe("十分です");
    expect(parseKanjiNumber("三百二十一")).toBe(321);
    expect(parseKanjiNumber("一億二千万")).toBe(120_000_000);
  });

  it("Kumamoto dialect becomes common Japanese, sentence endings only at the end", () => {
    expect(n("どぎゃんすればよかと？")).toBe("どうすればいいの");
    expect(n("移住したかです")).toBe("移住したいです");
    expect(n("住民票ほしいばい")).toBe("住民票ほしい");
    expect(n("ばいくで行く")).toBe("ばいくで行く");
    expect(n("空き家はあっと？")).toBe("空き家はあるの");
  });
});
