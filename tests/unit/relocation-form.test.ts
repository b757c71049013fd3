import type { messagingApi } from "@line/bot-sdk";
import { describe, expect, it } from "vitest";
import { loadFlowTexts } from "../../src/flows/flow-texts.js";
import type { FlowContext, FlowInput, FlowOutcome, FlowState } from "../../src/flows/flow.js";
import { validEmail, validPhone } from "../../src/flows/form-validators.js";
import { relocationConsultationFlow } from "../../src/flows/relocation/relocation-flow.js";
import type { IntentResult } from "../../src/intents/router.js";
import { parsePostbackData } from "../../src/line/postback-data.js";

// The 移住相談 form on the shared form engine, step by step without a database: the steps, the
// buttons' postback data and the draft's keys are the ones drafts and messages sent before the
// engine was shared carry, so they must not change.
const texts = (await loadFlowTexts()).relocation;
const flow = relocationConsultationFlow(texts);
// Only `submit` touches the context, and these steps stop before it.
const context = {} as FlowContext;
const understood = { intent: "unknown", confidence: 0, ambiguous: false, normalized: "", entities: {}, runnerUp: null } as unknown as IntentResult;

const text = (typed: string): FlowInput => ({ kind: "text", text: typed, understood });
const tap = (data: string): FlowInput => ({ kind: "postback", postback: parsePostbackData(data)! });
const buttons = (outcome: FlowOutcome): string[] => {
  const last = outcome.messages.at(-1) as messagingApi.TextMessage | undefined;
  return (last?.quickReply?.items ?? []).map((item) => (item.action as messagingApi.PostbackAction).data ?? "");
};
const step = (state: FlowState, input: FlowInput) => flow.handle(context, state, input);

describe("the relocation consultation form", () => {
  it("asks topic, household, residence, contact, details, then confirms, under the names it always had", async () => {
    const start = await flow.start(context);
    expect(start.messages[0]).toEqual({ type: "text", text: texts.intro });
    expect(start.state).toEqual({ step: "topic", data: {} });
    expect(buttons(start)[0]).toBe("v1|relocation|choose|topic:0");

    let outcome = await step(start.state!, tap("v1|relocation|choose|topic:1"));
    expect(outcome.state).toEqual({ step: "household", data: { topic: texts.topic.choices[1] } });
    outcome = await step(outcome.state!, text(texts.household.choices[0]!));
    expect(outcome.state?.step).toBe("residence");
    outcome = await step(outcome.state!, text("  東京都世田谷区 "));
    expect(outcome.state).toMatchObject({ step: "contact_method", data: { residence: "東京都世田谷区" } });
    outcome = await step(outcome.state!, tap("v1|relocation|choose|contact_method:0"));
    expect(outcome.state?.step).toBe("phone");

    const atPhone = outcome.state!;
    outcome = await step(atPhone, text("12345"));
    expect(outcome).toEqual({ messages: [{ type: "text", text: texts.phone.invalid }], state: atPhone });
    outcome = await step(atPhone, text("０９０－１２３４－５６７８"));
    expect(outcome.state).toMatchObject({ step: "details", data: { contact: "09012345678" } });
    outcome = await step(outcome.state!, text("なし"));
    expect(outcome.state).toEqual({
      step: "confirm",
      data: { topic: texts.topic.choices[1], household: texts.household.choices[0], residence: "東京都世田谷区", contact_method: texts.contact_method.choices[0], contact: "09012345678", details: "なし" },
    });
    expect(buttons(outcome)).toEqual(["v1|relocation|send|", "v1|relocation|restart|"]);
    const summary = (outcome.messages[0] as messagingApi.TextMessage).text;
    expect(summary).toContain(`${texts.confirm.labels.contact}：${texts.contact_method.choices[0]}（09012345678）`);

    const restarted = await step(outcome.state!, tap("v1|relocation|restart|"));
    expect(restarted.state).toEqual({ step: "topic", data: {} });
  });

  it("asks an e-mail for the second contact method and nothing for this LINE", async () => {
    const atMethod: FlowState = { step: "contact_method", data: { topic: "仕事", household: "1人", residence: "福岡市" } };
    const email = await step(atMethod, text(texts.contact_method.choices[1]!));
    expect(email.state?.step).toBe("email");
    const mailed = await step(email.state!, text("taro@example.jp"));
    expect(mailed.state).toMatchObject({ step: "details", data: { contact: "taro@example.jp" } });
    const line = await step(atMethod, text(texts.contact_method.choices[2]!));
    expect(line.state?.step).toBe("details");
    expect(line.state?.data).not.toHaveProperty("contact");
  });

  it("takes any text but at a choice, and shows the summary again for text typed there", async () => {
    expect(flow.recognizes("topic", "仕事", understood, {})).toBe(true);
    expect(flow.recognizes("topic", "住民票は？", understood, {})).toBe(false);
    expect(flow.recognizes("residence", "住民票は？", understood, {})).toBe(true);
    expect(flow.recognizes("confirm", "住民票は？", understood, {})).toBe(true);
    const atConfirm: FlowState = { step: "confirm", data: { topic: "仕事" } };
    expect((await step(atConfirm, text("はい"))).state).toEqual(atConfirm);
    expect((await step(atConfirm, tap("v1|relocation|repeat|"))).state).toEqual(atConfirm);
  });

  it("says what each free-text step asks for", () => {
    expect(flow.freeText?.("details", {})).toEqual({ asks: "message", topics: ["vacant_house"] });
    expect(flow.freeText?.("residence", {})).toEqual({ asks: "fact" });
    expect(flow.freeText?.("phone", {})).toEqual({ asks: "fact" });
    expect(flow.freeText?.("topic", {})).toBeNull();
    expect(flow.freeText?.("confirm", {})).toBeNull();
  });
});

describe("form validators", () => {
  it.each([
    ["090-1234-5678", "09012345678"],
    ["０９６６（２２）２１１１", "0966222111"],
    ["1234567890", null],
    ["0901234", null],
  ])("phone %s", (typed, expected) => expect(validPhone(typed)).toBe(expected));

  it.each([
    [" taro@example.jp ", "taro@example.jp"],
    ["ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp"],
    ["taro@example", null],
    ["taro example.jp", null],
  ])("e-mail %s", (typed, expected) => expect(validEmail(typed)).toBe(expected));
});
