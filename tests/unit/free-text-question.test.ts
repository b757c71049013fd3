import { describe, expect, it } from "vitest";
import { asksSomethingElse, utteranceShape, type FreeTextStep } from "../../src/flows/free-text-question.js";
import type { IntentName } from "../../src/intents/intent-names.js";
import { loadRouterData } from "../../src/intents/load-router-data.js";
import { createRouter, type IntentResult } from "../../src/intents/router.js";

// Text typed at a free-text step mid-form: a question for something else (answered, then
// "continue?") or the answer to the step. Read by the real router from seeds/, so that a change
// to the intents' keywords that would turn answers into interruptions (or back) fails here.
const router = createRouter(await loadRouterData());

interface StepCase {
  flowIntent: IntentName;
  freeText: FreeTextStep;
}
// The free-text steps of the flows, as the flows declare them.
const steps = {
  reportPlace: { flowIntent: "report", freeText: { asks: "fact" } },
  reportDescription: { flowIntent: "report", freeText: { asks: "fact" } },
  relocationResidence: { flowIntent: "relocation", freeText: { asks: "fact" } },
  relocationPhone: { flowIntent: "relocation", freeText: { asks: "fact" } },
  relocationDetails: { flowIntent: "relocation", freeText: { asks: "message", topics: ["vacant_house"] } },
  listingQuestion: { flowIntent: "vacant_house", freeText: { asks: "message", topics: ["relocation"] } },
  houseLocation: { flowIntent: "vacant_house", freeText: { asks: "fact" } },
  houseDetails: { flowIntent: "vacant_house", freeText: { asks: "message", topics: ["relocation"] } },
  surveyComment: { flowIntent: "survey", freeText: { asks: "message" } },
} satisfies Record<string, StepCase>;
type StepName = keyof typeof steps;

const interrupts = (step: StepName, text: string) => asksSomethingElse({ text, understood: router.classify(text), isAnswer: true, ...steps[step] });

describe("a question typed at a free-text step", () => {
  it.each<[StepName, string]>([
    ["reportPlace", "空き家バンクの成約件数は？"],
    ["reportPlace", "あきやばんくのせいやくけんすうは？"],
    ["reportPlace", "ｱｷﾔﾊﾞﾝｸﾉｾｲﾔｸｹﾝｽｳﾊ?"],
    ["reportPlace", "空き家バンクの成約件数を知りたい"],
    ["reportPlace", "住民票はコンビニで取れますか"],
    ["reportPlace", "証明書はコンビニで取れる？"],
    ["reportPlace", "印鑑証明はどこで取れますか"],
    ["reportPlace", "ふるさと納税の返礼品を教えて"],
    ["reportPlace", "ふるさと納税の返礼品は何がありますか"],
    ["reportPlace", "寄附はどこからできますか？"],
    ["reportPlace", "未来カフェはいつですか？"],
    ["reportPlace", "未来カフェの次回はいつ"],
    ["reportPlace", "未来カフェって何ですか"],
    ["reportPlace", "移住支援金はいくらもらえますか"],
    ["reportPlace", "空き家はありますか"],
    ["reportPlace", "空き家バンクって何？"],
    ["reportPlace", "空き家バンクに登録するにはどうすればいいですか"],
    ["reportPlace", "どぎゃんすれば空き家ば借りられると？"],
    ["reportPlace", "使い方を教えて"],
    ["reportPlace", "職員と話したい"],
    ["reportPlace", "職員さんにつないでください"],
    ["reportPlace", "担当者に代わってください"],
    ["reportPlace", "移住の相談をしたい"],
    ["reportPlace", "アンケートに答えたい"],
    ["reportPlace", "人吉市の移住者数の目標と実績は？"],
    ["reportPlace", "移住相談の件数を教えて"],
    ["reportPlace", "空き家バンクの成約件数❓"],
    ["reportPlace", "未来カフェの申し込み方法は"],
    ["reportPlace", "アンケートはありますか"],
    ["reportPlace", "くまりばとは"],
    ["reportDescription", "空き家バンクの成約件数は？"],
    ["reportDescription", "マイナンバーカードでコンビニ交付できますか？"],
    ["reportDescription", "空き家を借りたいです"],
    ["reportDescription", "カフェに参加するにはどうしたらいいですか"],
    ["relocationResidence", "空き家バンクの物件はありますか？"],
    ["relocationResidence", "人吉市の移住者数の目標と実績は？"],
    ["relocationResidence", "住民票の移し方を教えて"],
    ["relocationResidence", "空き家を借りたい"],
    ["relocationPhone", "ふるさと納税の返礼品を教えて"],
    ["relocationPhone", "職員と話したい"],
    ["relocationDetails", "空き家バンクの成約件数は？"],
    ["relocationDetails", "住民票はコンビニで取れますか？"],
    ["relocationDetails", "住民票を移す手続きは？"],
    ["listingQuestion", "ふるさと納税の返礼品は何がありますか"],
    ["listingQuestion", "未来カフェはいつですか？"],
    ["houseLocation", "空き家バンクの成約件数は？"],
    ["houseLocation", "住民票はコンビニで取れますか"],
    ["houseDetails", "マイナンバーカードでコンビニ交付できますか？"],
    ["surveyComment", "住民票はコンビニで取れますか？"],
    ["surveyComment", "空き家バンクの成約件数は？"],
    ["surveyComment", "ふるさと納税の返礼品を教えて"],
    ["surveyComment", "未来カフェって何ですか"],
    ["surveyComment", "ふるさと納税はどこから申し込めますか？"],
    ["surveyComment", "移住支援金について教えてください"],
    ["relocationResidence", "未来カフェって何ですか？"],
    ["relocationResidence", "空き家バンクの物件を見たいです"],
    ["relocationPhone", "やっぱり職員さんと話したいです"],
  ])("%s: 「%s」 is a question", (step, text) => {
    expect(interrupts(step, text)).toBe(true);
  });

  it.each<[StepName, string]>([
    // Places that mention another service's words.
    ["reportPlace", "下林町の空き家の前"],
    ["reportPlace", "空き家の前の道路"],
    ["reportPlace", "空き家バンクの看板の前"],
    ["reportPlace", "未来カフェの会場の前"],
    ["reportPlace", "移住支援センターの横"],
    ["reportPlace", "ふるさと納税の事務所の前"],
    ["reportPlace", "コンビニ交付ができるローソンの前"],
    ["reportPlace", "駅前のコンビニの横"],
    ["reportPlace", "市役所の前"],
    ["reportPlace", "九日町の公園"],
    ["reportPlace", "国道219号線の紺屋町交差点付近"],
    ["reportPlace", "人吉駅の近く"],
    // What is wrong, with another service's words in it.
    ["reportDescription", "空き家の前の道路が陥没"],
    ["reportDescription", "空き家の前の道路に穴があいている"],
    ["reportDescription", "空き家の庭の木が道路に倒れている"],
    ["reportDescription", "空き家の屋根が落ちそう"],
    ["reportDescription", "空き家から瓦が落ちてきて危ない"],
    ["reportDescription", "空き家に不法投棄されている"],
    ["reportDescription", "空き家の草が伸び放題で困っています"],
    ["reportDescription", "移住者向けの看板が倒れている"],
    ["reportDescription", "空き家を取り壊してほしい"],
    ["reportDescription", "空き家を取り壊してもらえませんか？"],
    ["reportDescription", "空き家の持ち主に片付けてもらいたい"],
    ["reportDescription", "コンビニの前の街灯が切れている"],
    ["reportDescription", "空き家の前の道路が陥没しています。危なくないですか？"],
    ["reportDescription", "空き家の前で水道管が破裂してるみたい？"],
    ["reportDescription", "空き家の塀が崩れて道路にはみ出している"],
    ["reportDescription", "アンケートの看板が倒れている"],
    ["reportPlace", "住民票を取りに行く途中の道"],
    ["reportPlace", "証明書発行機のあるコンビニの前"],
    ["reportPlace", "市役所の移住相談窓口の前の街灯"],
    // The flow's own subject is never an interruption.
    ["reportDescription", "道路の穴はいつ直りますか？"],
    ["reportDescription", "通報の状況を教えて"],
    ["relocationResidence", "東京都世田谷区"],
    ["relocationResidence", "熊本市東区です"],
    ["relocationResidence", "移住支援金はいくらもらえますか"],
    ["relocationPhone", "電話番号を教えたくない"],
    ["relocationPhone", "電話は持っていません"],
    ["relocationPhone", "090-1234-5678"],
    // A consultation, questions on a house, an opinion: questions are what is asked for.
    ["relocationDetails", "子育て支援について知りたい"],
    ["relocationDetails", "仕事はありますか？"],
    ["relocationDetails", "空き家を借りたいです"],
    ["relocationDetails", "空き家バンクの物件を見学したいです"],
    ["relocationDetails", "住まいについて相談したい"],
    ["relocationDetails", "なし"],
    ["listingQuestion", "来週の土曜日に内見できますか"],
    ["listingQuestion", "駐車場はありますか"],
    ["listingQuestion", "近くにコンビニはありますか？"],
    ["listingQuestion", "ペットは飼えますか"],
    ["listingQuestion", "家賃はいくらですか"],
    ["listingQuestion", "近くのコンビニまで何分ですか"],
    ["houseDetails", "空き家の固定資産税はいくらですか"],
    ["relocationDetails", "移住したら住民票はどこで取れますか"],
    ["relocationDetails", "子どもが通える学校と、家族で住める家を知りたいです"],
    ["listingQuestion", "移住を考えているのですが、この家は子育てに向いていますか？"],
    ["houseLocation", "人吉市下林町1-2-3"],
    ["houseLocation", "下林町の空き家"],
    ["houseDetails", "雨漏りがあります"],
    ["houseDetails", "解体の補助金はありますか？"],
    ["houseDetails", "固定資産税はどうなりますか？"],
    ["surveyComment", "ごみの日を教えてほしいです"],
    ["surveyComment", "LINEで手続きができて便利です"],
    ["surveyComment", "空き家バンクの物件をもっと増やしてほしい"],
    ["surveyComment", "未来カフェに参加したい"],
    ["surveyComment", "通報が簡単にできて助かった"],
    ["surveyComment", "アンケートはもっと短いほうがいいです"],
    ["surveyComment", "特になし"],
    ["surveyComment", "ふるさと納税の返礼品を増やしてください"],
    ["surveyComment", "未来カフェを土日にも開催してほしいです"],
    ["surveyComment", "住民票がコンビニで取れるのは助かります"],
    ["relocationDetails", "子育て中なので保育園の空き状況を知りたいです"],
    ["relocationResidence", "東京都練馬区に住んでいます"],
    ["relocationPhone", "電話はちょっと…"],
    ["relocationPhone", "固定電話しかありません"],
  ])("%s: 「%s」 is an answer", (step, text) => {
    expect(interrupts(step, text)).toBe(false);
  });
});

describe("the rule's parts", () => {
  const reading = (intent: IntentName, confidence: number, normalized: string, runnerUp: IntentResult["runnerUp"] = null): IntentResult => ({
    intent,
    confidence,
    runnerUp,
    ambiguous: false,
    normalized,
    entities: router.classify("").entities,
  });

  it("at a choice step, anything that is not a choice and is surely another intent interrupts, question or not", () => {
    const understood = reading("certificate", 0.9, "住民票");
    expect(asksSomethingElse({ text: "住民票", understood, flowIntent: "report", isAnswer: false, freeText: null })).toBe(true);
    expect(asksSomethingElse({ text: "住民票", understood, flowIntent: "report", isAnswer: true, freeText: null })).toBe(false);
    expect(asksSomethingElse({ text: "住民票", understood: { ...understood, confidence: 0.59 }, flowIntent: "report", isAnswer: false, freeText: null })).toBe(false);
    expect(asksSomethingElse({ text: "住民票", understood, flowIntent: "certificate", isAnswer: false, freeText: null })).toBe(false);
  });

  it("at a free-text step, the router must be sure, and surer where questions are expected", () => {
    const ask = (confidence: number, asks: FreeTextStep["asks"]) =>
      asksSomethingElse({ text: "住民票は取れますか", understood: reading("certificate", confidence, "住民票は取れますか"), flowIntent: "report", isAnswer: true, freeText: { asks } });
    expect([ask(0.59, "fact"), ask(0.6, "fact"), ask(0.69, "message"), ask(0.7, "message")]).toEqual([false, true, false, true]);
  });

  it("never takes unknown, a greeting, the flow's own intent or the step's topics for an interruption", () => {
    const ask = (intent: IntentName, topics: IntentName[] = []) =>
      asksSomethingElse({ text: "それは何ですか", understood: reading(intent, 0.99, "それは何ですか"), flowIntent: "relocation", isAnswer: true, freeText: { asks: "fact", topics } });
    expect([ask("unknown"), ask("greeting"), ask("relocation"), ask("vacant_house", ["vacant_house"]), ask("vacant_house")]).toEqual([false, false, false, false, true]);
  });

  it("takes a wish as a question only where a fact is asked for", () => {
    const ask = (asks: FreeTextStep["asks"]) =>
      asksSomethingElse({ text: "職員と話したい", understood: reading("human", 0.99, "職員と話したい"), flowIntent: "survey", isAnswer: true, freeText: { asks } });
    expect([ask("fact"), ask("message")]).toEqual([true, false]);
  });

  it("takes a question that comes with an answer about the step's subject as the answer", () => {
    const understood = reading("vacant_house", 0.75, "空き家の前の道路が陥没しています 危なくないですか", { intent: "report", confidence: 0.24 });
    const typed = { understood, flowIntent: "report" as const, isAnswer: true, freeText: { asks: "fact" as const } };
    expect(asksSomethingElse({ ...typed, text: "空き家の前の道路が陥没しています。危なくないですか？" })).toBe(false);
    expect(asksSomethingElse({ ...typed, text: "空き家の前の道路が陥没しています危なくないですか？" })).toBe(true);
    expect(asksSomethingElse({ ...typed, understood: { ...understood, runnerUp: { intent: "kpi", confidence: 0.24 } }, text: "空き家の前の道路が陥没しています。危なくないですか？" })).toBe(true);
  });

  it.each([
    ["成約件数は？", "question"],
    ["成約件数は", "question"],
    ["取れますか", "question"],
    ["取れるかな", "question"],
    ["どうなってるの", "question"],
    ["くまりばとは", "question"],
    ["次回はいつ", "question"],
    ["空き家は何件", "question"],
    ["家賃はいくらですか", "question"],
    ["返礼品を教えてください", "question"],
    ["返礼品をおしえて", "question"],
    ["返礼品が知りたい", "question"],
    ["ごみの日を教えてほしい", "wish"],
    ["職員と話したい", "wish"],
    ["相談したいのですが", "wish"],
    ["片付けてもらいたい", "statement"],
    ["取り壊してもらえませんか", "statement"],
    ["直していただけますか？", "statement"],
    ["下林町の空き家の前", "statement"],
    ["道路が陥没", "statement"],
    ["電話番号を教えたくない", "statement"],
    ["ゴミとか", "statement"],
    ["水道管が破裂してるみたい？", "statement"],
    ["倒れそうかも", "statement"],
    ["物件を見てみたい", "wish"],
  ])("「%s」 is shaped as a %s", (text, shape) => {
    expect(utteranceShape(text, router.classify(text).normalized)).toBe(shape);
  });
});
