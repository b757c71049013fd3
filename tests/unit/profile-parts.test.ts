import type { messagingApi } from "@line/bot-sdk";
import { describe, expect, it } from "vitest";
import { FIELDS, fieldQuestion, menuMessage, townPage, TOWNS_PER_PAGE } from "../../src/flows/profile/profile-messages.js";
import { loadProfileSeeds } from "../../src/flows/profile/profile-seeds.js";
import { matchTowns } from "../../src/flows/profile/town-match.js";
import { EMPTY_PROFILE } from "../../src/store/resident-profiles.js";

// The pure parts of 受信設定: matching a typed 町内 and the quick replies each question offers.
const seeds = await loadProfileSeeds();
const names = (text: string) => matchTowns(text, seeds.lists.towns).map((town) => town.name);

describe("typed 町内 names", () => {
  it("finds a town by its name, its reading, half-width kana, without 町 and with words around it", () => {
    for (const typed of ["鍛冶屋町", "かじやまち", "ｶｼﾞﾔﾏﾁ", "カジヤ町", "鍛冶屋", "鍛冶屋町です", "かじやまちにすんでいます", "鍛冶屋町内"]) {
      expect(names(typed), typed).toEqual(["鍛冶屋町"]);
    }
  });

  it("accepts one typo in a name of four characters or more, and nothing for unrelated text", () => {
    expect(names("かじやまさ")).toEqual(["鍛冶屋町"]);
    expect(names("東京都")).toEqual([]);
    expect(names("")).toEqual([]);
    expect(names("町")).toEqual([]);
  });

  it("offers every town a part of a name can mean", () => {
    expect(names("あおい")).toEqual(["中青井町", "上青井町", "下青井町"]);
    expect(names("二日町")).toEqual(["二日町"]);
  });
});

describe("profile questions", () => {
  const quickReplies = (message: messagingApi.TextMessage) => message.quickReply?.items ?? [];

  it("never offers more than LINE's 13 quick replies, and pages the whole 町内 list", () => {
    for (const field of FIELDS) expect(quickReplies(fieldQuestion(seeds, field, EMPTY_PROFILE, [], null)).length, field).toBeLessThanOrEqual(13);
    expect(quickReplies(menuMessage(seeds, EMPTY_PROFILE, null)).length).toBeLessThanOrEqual(13);
    const seen: string[] = [];
    for (let page = 0; page * TOWNS_PER_PAGE < seeds.lists.towns.length; page += 1) {
      const items = quickReplies(townPage(seeds, page));
      expect(items.length).toBeLessThanOrEqual(13);
      seen.push(...items.map((item) => item.action?.label ?? "").filter((label) => seeds.lists.towns.some((town) => town.name === label)));
    }
    expect(seen).toEqual(seeds.lists.towns.map((town) => town.name));
  });

  it("leaves 校区 and 町内 out of the profile of someone who lives elsewhere", () => {
    const menu = menuMessage(seeds, { ...EMPTY_PROFILE, residence: "outside" }, null);
    expect(menu.text).not.toContain("校区");
    expect(menu.text).toContain("・お住まい：市外に住んでいる");
  });
});
