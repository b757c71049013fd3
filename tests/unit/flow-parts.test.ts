import { describe, expect, it } from "vitest";
import { loadRouterData } from "../../src/intents/load-router-data.js";
import { createRouter } from "../../src/intents/router.js";
import { dayBeforeAt, japanDate, japanTime } from "../../src/japan-time.js";
import { imageTypeOf } from "../../src/line/content-client.js";
import { parseAnswer, type Question } from "../../src/flows/survey/survey-answers.js";
import { criteriaFrom, decodeSearch, encodeSearch, mergeCriteria, roomsOf, yenLabel } from "../../src/flows/vacant-house/listing-criteria.js";

// The pure pieces under the flows: reading search criteria from what residents type, survey
// answers from taps and text, Japan-time dates, and image signatures.
const router = createRouter(await loadRouterData());
const criteriaOf = (text: string) => criteriaFrom(router.classify(text, new Date("2026-11-26T12:00:00+09:00")).entities);

describe("vacant-house criteria from free text", () => {
  it.each([
    ["月3万以内の賃貸", { deal: "rent", maxYen: 30_000 }],
    ["ちんたいで家賃5万くらい", { deal: "rent", minYen: 40_000, maxYen: 60_000 }],
    ["500万円以下で買いたい", { deal: "sale", maxYen: 5_000_000 }],
    ["４ＬＤＫ", { rooms: 4 }],
    ["下林町あたりの空き家", { area: "下林町" }],
    ["月２万５千円までの借家", { deal: "rent", maxYen: 25_000 }],
  ])("%s", (text, expected) => {
    expect(criteriaOf(text)).toEqual(expected);
  });

  it("never reads a date as a town (五日町 and 「12月5日」)", () => {
    expect(criteriaOf("12月5日に空き家を見たい").area).toBeUndefined();
    expect(criteriaOf("五日町の空き家").area).toBe("五日町");
  });

  it("narrows a search with newer words, and drops a budget meant for the other deal", () => {
    expect(mergeCriteria({ deal: "rent", maxYen: 30_000 }, { rooms: 3 })).toEqual({ deal: "rent", maxYen: 30_000, rooms: 3 });
    expect(mergeCriteria({ deal: "rent", maxYen: 30_000, area: "下林町" }, { deal: "sale" })).toEqual({ deal: "sale", area: "下林町" });
  });

  it("carries criteria through postback data, and rejects forged ones", () => {
    const criteria = { deal: "rent" as const, maxYen: 30_000, rooms: 2, area: "下林町" };
    expect(decodeSearch(encodeSearch(criteria, 10))).toEqual({ criteria, offset: 10 });
    expect(decodeSearch("")).toEqual({ criteria: {}, offset: 0 });
    for (const forged of ["d=lease", "x=-5", "o=abc", "r=99", "nonsense", "a=;"]) expect(decodeSearch(forged)).toBeNull();
  });

  it("writes prices as residents read them and reads rooms from layouts", () => {
    expect([yenLabel(35_000), yenLabel(4_800_000), yenLabel(8_000), yenLabel(30_000)]).toEqual(["3.5万円", "480万円", "8,000円", "3万円"]);
    expect([roomsOf("3DK"), roomsOf("６K"), roomsOf("ワンルーム"), roomsOf(null)]).toEqual([3, 6, null, null]);
  });
});

describe("survey answers", () => {
  const question = (kind: Question["kind"], options: string[], required = true): Question => ({ id: "9", position: 2, kind, prompt: "?", options, required });
  const text = (value: string) => ({ kind: "text" as const, text: value });
  const postback = (action: string, argument: string) => ({ kind: "postback" as const, postback: { version: "v1" as const, flow: "survey", action, argument } });

  it("reads a single choice from a tap, the option's text or its number", () => {
    const single = question("single", ["今より多く", "今くらいでよい", "今より少なく"]);
    expect(parseAnswer(single, postback("choose", "2:2"), [])).toEqual({ kind: "answer", value: "今より少なく" });
    expect(parseAnswer(single, text("今くらいでよい"), [])).toEqual({ kind: "answer", value: "今くらいでよい" });
    expect(parseAnswer(single, text("１番"), [])).toEqual({ kind: "answer", value: "今より多く" });
    expect(parseAnswer(single, text("4"), [])).toEqual({ kind: "invalid" });
    expect(parseAnswer(single, postback("choose", "3:0"), [])).toEqual({ kind: "invalid" });
  });

  it("reads a 1–5 scale as a number", () => {
    expect(parseAnswer(question("scale", ["1", "2", "3", "4", "5"]), text("５"), [])).toEqual({ kind: "answer", value: 5 });
  });

  it("toggles multiple choices and needs one when required", () => {
    const multiple = question("multiple", ["a", "b", "c"]);
    expect(parseAnswer(multiple, postback("toggle", "2:1"), [0])).toEqual({ kind: "picking", picked: [0, 1] });
    expect(parseAnswer(multiple, postback("toggle", "2:0"), [0, 1])).toEqual({ kind: "picking", picked: [1] });
    expect(parseAnswer(multiple, postback("done", "2"), [])).toEqual({ kind: "picking", picked: [], note: "required" });
    expect(parseAnswer(multiple, postback("done", "2"), [2, 0])).toEqual({ kind: "answer", value: ["c", "a"] });
    expect(parseAnswer(multiple, text("1、3"), [])).toEqual({ kind: "answer", value: ["a", "c"] });
    expect(parseAnswer(multiple, text("1,9"), [])).toEqual({ kind: "invalid" });
  });

  it("lets an optional free-text question be skipped", () => {
    expect(parseAnswer(question("text", [], false), postback("skip", "2"), [])).toEqual({ kind: "answer", value: null });
    expect(parseAnswer(question("text", [], true), postback("skip", "2"), [])).toEqual({ kind: "invalid" });
  });
});

describe("Japan time", () => {
  it("shows dates in Japan whatever the server's zone, and finds the day before at an hour", () => {
    const session = new Date("2027-01-01T09:30:00+09:00");
    expect(japanDate(session)).toBe("1月1日（金）");
    expect(japanTime(session)).toBe("9:30");
    expect(dayBeforeAt(session, 10).toISOString()).toBe("2026-12-31T01:00:00.000Z");
    expect(dayBeforeAt(new Date("2026-12-12T00:30:00+09:00"), 10).toISOString()).toBe("2026-12-11T01:00:00.000Z");
  });
});

describe("image signatures", () => {
  it("tells JPEG, PNG, GIF and WebP from anything else", () => {
    expect(imageTypeOf(Buffer.from([0xff, 0xd8, 0xff, 0xdb]))).toBe("image/jpeg");
    expect(imageTypeOf(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe("image/png");
    expect(imageTypeOf(Buffer.from("GIF89a..."))).toBe("image/gif");
    expect(imageTypeOf(Buffer.from("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
    expect(imageTypeOf(Buffer.from("<html>"))).toBeNull();
    expect(imageTypeOf(Buffer.alloc(0))).toBeNull();
  });
});
