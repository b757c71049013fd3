// The traffic of the reply-latency part of bench:webhook, as data: each conversation is what one
// simulated resident does, step by step, each step sent only after the bot answered the previous one.
// A step sends a text, a sticker, a location, a photo or a postback, or taps a button (by its label,
// or a pattern of it) of the previous answer: a quick-reply item or a Flex button, postback or
// message action alike, exactly as a resident's LINE app would. `expect` (optional) is a piece of
// the answer the script relies on; an answer without it, or a tap on a button that is not there,
// counts as a script deviation and the resident stops there. To add traffic, append one line.

type Expect = string | RegExp;
export type Step =
  | { kind: "text"; text: string; expect?: Expect }
  | { kind: "sticker"; expect?: Expect }
  | { kind: "location"; expect?: Expect }
  | { kind: "image"; expect?: Expect }
  | { kind: "postback"; data: string; expect?: Expect }
  | { kind: "tap"; label: string | RegExp; expect?: Expect };

export interface Conversation {
  name: string;
  // Relative share of the residents who start this conversation.
  weight: number;
  steps: Step[];
}

const expecting = (expect?: Expect) => (expect === undefined ? {} : { expect });
const text = (value: string, expect?: Expect): Step => ({ kind: "text", text: value, ...expecting(expect) });
const sticker = (expect?: Expect): Step => ({ kind: "sticker", ...expecting(expect) });
const location = (expect?: Expect): Step => ({ kind: "location", ...expecting(expect) });
const image = (expect?: Expect): Step => ({ kind: "image", ...expecting(expect) });
const postback = (data: string, expect?: Expect): Step => ({ kind: "postback", data, ...expecting(expect) });
const tap = (label: string | RegExp, expect?: Expect): Step => ({ kind: "tap", label, ...expecting(expect) });

// The floor (floor-reply-server.ts answers every event the same way, so nothing is expected).
export const floorConversations: Conversation[] = [
  { name: "text", weight: 1, steps: [text("こんにちは")] },
  { name: "sticker", weight: 1, steps: [sticker()] },
];

// Our bot's simplest path: single-turn traffic with the least work behind each answer.
export const baselineConversations: Conversation[] = [
  { name: "sticker", weight: 1, steps: [sticker("スタンプありがとうございます")] },
  { name: "greeting", weight: 1, steps: [text("こんにちは", "こんにちは")] },
];

// The mix the target is about: multi-turn forms and searches (relocation, vacant houses, surveys,
// reports, 未来カフェ), KPI answers (one a Flex carousel), other intents, greetings and stickers.
export const mixedConversations: Conversation[] = [
  { name: "relocation form, phone", weight: 3, steps: [text("人吉への移住を考えています", "商工観光課"), tap("相談を申し込む", "ご相談の内容をお選びください"), tap("住まい"), tap("3人以上"), text("福岡県福岡市"), tap("電話"), text("090-1234-5678"), text("子どもが通える学校と、家族で住める家を知りたいです", "福岡県福岡市"), tap("送信する", "受付番号")] },
  { name: "relocation form, e-mail, interrupted", weight: 2, steps: [postback("v1|relocation|start|", "ご相談の内容をお選びください"), tap("仕事"), tap("1人"), text("東京都世田谷区"), text("住民票はコンビニで取れますか", "続けますか"), tap("続ける", "ご連絡の方法"), tap("メール"), text("taro.hitoyoshi@example.jp"), text("なし", "以下の内容で送信します"), tap("送信する", "受付番号")] },
  { name: "relocation form, cancelled", weight: 1, steps: [text("移住の相談"), tap("相談を申し込む"), tap("子育て・教育"), text("キャンセル", "取り消しました")] },
  { name: "KPI questions", weight: 3, steps: [text("移住相談の件数は？"), tap("市の目標（KPI）"), text("観光客数の目標は？")] },
  { name: "KPI list (Flex)", weight: 2, steps: [text("KPI一覧")] },
  { name: "certificates, then furusato nozei", weight: 2, steps: [text("住民票はコンビニで取れますか", "コンビニ"), tap("ふるさと納税")] },
  { name: "furusato nozei", weight: 1, steps: [text("ふるさと納税の返礼品を教えて")] },
  { name: "greeting", weight: 2, steps: [text("こんにちは", "こんにちは"), text("印鑑証明をコンビニで取りたい")] },
  { name: "sticker", weight: 2, steps: [sticker("スタンプありがとうございます")] },
  { name: "hand-off to staff", weight: 1, steps: [text("職員と話したい", "受付番号")] },
  { name: "vacant houses: search, narrow, inquire", weight: 3, steps: [text("月3万以内の賃貸を探しています", "賃貸・3万円以内"), text("2DKで", "2部屋以上"), tap(/^問い合わせる$/, "物件番号"), text("来週の土曜日に内見できますか"), tap("電話"), text("0966-22-2111"), tap("送信する", "受付番号")] },
  { name: "vacant houses: browse (Flex, paging)", weight: 2, steps: [text("空き家を探したい", "件"), tap("次の物件を見る")] },
  { name: "vacant house: owner registers", weight: 1, steps: [text("実家が空き家になっていて貸したいです", "登録のご相談"), text("人吉市下林町1-2-3"), tap("貸したい"), tap("特になし"), tap("メール"), text("owner@example.jp", "owner@example.jp"), tap("送信する", "受付番号")] },
  { name: "survey, every question", weight: 2, steps: [text("アンケートに答えたい", "満足度アンケート"), tap("人吉市公式LINE 満足度アンケート", "全5問"), tap("4", "（2/5問）"), text("2"), tap("証明書の申請", "選んだもの"), tap("子育ての情報"), tap("選び終わった"), tap("人吉市内"), text("ごみの日を教えてほしいです", "ご回答ありがとうございました")] },
  { name: "report: location and photo", weight: 2, steps: [text("道路に穴があいているので通報したい", "何についての通報ですか"), tap("道路"), location("写真があれば"), image("写真を受け取りました"), tap("次へ進む"), text("車道の真ん中に直径30cmほどの穴があります"), tap("通報する", "受付番号")] },
  { name: "report: typed place, no photo", weight: 1, steps: [text("通報したい"), tap("不法投棄"), text("下林町の川沿いの空き地"), tap("写真なし"), text("家電が捨てられています"), tap("通報する", "受付番号")] },
  { name: "report status", weight: 1, steps: [text("通報の状況を知りたい")] },
  { name: "未来カフェ sign-up", weight: 2, steps: [text("未来カフェに参加したい", "会場"), tap(/^申し込む：/, "参加される人数"), tap("1人"), tap("申し込む", /受け付けました|定員に達しました/)] },
];
