import { mkdtemp, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildMessage, linksIn, replaceLinks } from "../../src/notices/notice-content.js";
import { defaultTemplatesDir, loadNoticeTemplates } from "../../src/notices/notice-templates.js";
import { quotaRefusal } from "../../src/notices/quota.js";
import { loadSegmentOptions } from "../../src/notices/segment-options.js";
import { defaultSeedsDir } from "../../src/seeds/load-seeds.js";
import { japanLocalTime, parseCompose } from "../../src/staff/notices/notice-form.js";
import { assertValidMessagingRequest } from "../support/line-openapi.js";

// The pure parts of notices: quota arithmetic, templates, link rewriting, the compose form, and
// where the audience options come from.
describe("the monthly quota check", () => {
  it("lets a send through up to the last message left, refuses one more, and ignores an unlimited quota", () => {
    expect(quotaRefusal({ limit: 1000, used: 900 }, 100)).toBeNull();
    const refusal = quotaRefusal({ limit: 1000, used: 900 }, 101);
    expect(refusal).toContain("上限 1,000 通のうち 900 通");
    expect(refusal).toContain("残りは 100 通");
    expect(refusal).toContain("1 通足りません");
    expect(quotaRefusal({ limit: null, used: 5_000_000 }, 1_000_000)).toBeNull();
    expect(quotaRefusal({ limit: 1000, used: 1200 }, 1)).toContain("残りは 0 通");
  });
});

describe("notice templates and links", () => {
  it("fills every seed template into a Flex message LINE's spec accepts", async () => {
    const templates = await loadNoticeTemplates();
    expect(templates.map((template) => template.id).sort()).toEqual(["disaster", "event"]);
    for (const template of templates) {
      const values = Object.fromEntries(template.fields.map((field) => [field.key, field.kind === "url" || field.kind === "image" ? "https://example.jp/a.png" : "テスト"]));
      const built = buildMessage({ kind: "flex", template: template.id, values }, templates);
      expect(built.ok).toBe(true);
      if (built.ok) assertValidMessagingRequest("POST", "/v2/bot/message/multicast", { to: ["U0"], messages: [built.message] });
    }
  });

  it("names each missing or wrong field of a template", async () => {
    const templates = await loadNoticeTemplates();
    const built = buildMessage({ kind: "flex", template: "disaster", values: { title: "x".repeat(41), details: "本文", issued_by: "防災課", url: "http://insecure.example" } }, templates);
    expect(built).toEqual({ ok: false, errors: ["「見出し」は40文字以内にしてください（いま41文字）。", "「詳しい情報のURL（https）」は https:// で始まるURLにしてください。"] });
  });

  it("rejects a template whose bubble uses a placeholder no field fills", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "templates-"));
    try {
      await copyFile(path.join(defaultTemplatesDir, "disaster.yaml"), path.join(dir, "disaster.yaml"));
      await writeFile(path.join(dir, "broken.yaml"), "id: broken\nlabel: x\nalt_text: '{{title}}'\nfields: [{ key: body, label: 本文, kind: text }]\nbubble: { type: bubble }\n");
      await expect(loadNoticeTemplates(dir)).rejects.toThrow(/placeholders without a field: title/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds links in text and in uri actions and replaces each, leaving everything else", () => {
    const message = {
      type: "flex",
      altText: "https://not-a-link-here.example",
      contents: { type: "bubble", body: { type: "box", layout: "vertical", contents: [{ type: "button", action: { type: "uri", label: "見る", uri: "https://a.example/x?y=1" } }] } },
    };
    expect(linksIn(message)).toEqual(["https://a.example/x?y=1"]);
    const text = { type: "text", text: "詳しくは https://a.example/ と https://b.example/p をご覧ください。" };
    expect(linksIn(text)).toEqual(["https://a.example/", "https://b.example/p"]);
    expect(replaceLinks(text, (url) => (url.includes("a.") ? "https://r/1" : "https://r/2")).text).toBe("詳しくは https://r/1 と https://r/2 をご覧ください。");
    expect(replaceLinks(message, () => "https://r/9").altText).toBe("https://not-a-link-here.example");
  });
});

describe("the compose form", () => {
  const templates: never[] = [];
  const now = new Date("2026-11-26T00:00:00Z");
  it("reads a scheduled time as Japan time and refuses one in the past", () => {
    expect(japanLocalTime("2026-12-01T09:00")!.toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(japanLocalTime("12/01 9時")).toBeNull();
    const past = parseCompose({ title: "t", type: "text", text: "本文", audience: "all", when: "later", scheduled_at: "2026-11-26T08:59" }, templates, now);
    expect(past).toEqual({ ok: false, errors: ["配信日時は今より後にしてください。"] });
    const later = parseCompose({ title: "t", type: "text", text: "本文", audience: "all", when: "later", scheduled_at: "2026-11-26T09:01", intent: "submit" }, templates, now);
    expect(later.ok && later.scheduledAt?.toISOString()).toBe("2026-11-26T00:01:00.000Z");
  });

  it("needs a condition for a segment, and keeps the values chosen within a field", () => {
    const empty = parseCompose({ title: "t", type: "text", text: "本文", audience: "segment", when: "now" }, templates, now);
    expect(empty.ok).toBe(false);
    const chosen = parseCompose({ title: "t", type: "text", text: "本文", audience: "segment", seg_town: ["下林町", "鍛冶屋町"], seg_interests: "events", when: "now" }, templates, now);
    expect(chosen.ok && chosen.audience).toEqual({ kind: "segment", segment: { residence: [], school_district: [], town: ["下林町", "鍛冶屋町"], age_band: [], interests: ["events"] } });
    const unknownInterest = parseCompose({ title: "t", type: "text", text: "本文", audience: "segment", seg_interests: "gambling", when: "now" }, templates, now);
    expect(unknownInterest.ok).toBe(false);
  });
});

describe("audience options", () => {
  it("take 校区, 町内 and age bands from seeds/profile.yaml when it exists", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "seeds-"));
    try {
      await copyFile(path.join(defaultSeedsDir, "notice-audience.yaml"), path.join(dir, "notice-audience.yaml"));
      await writeFile(
        path.join(dir, "profile.yaml"),
        "school_districts:\n  - 人吉東\n  - { name: 人吉西 }\ntowns:\n  - { value: shimobayashi, label: 下林町 }\nage_bands: [10代, 20代]\n",
      );
      const noDatabase = null as never;
      const options = await loadSegmentOptions(noDatabase, dir);
      expect(options.school_district).toEqual([{ value: "人吉東", label: "人吉東" }, { value: "人吉西", label: "人吉西" }]);
      expect(options.town).toEqual([{ value: "shimobayashi", label: "下林町" }]);
      expect(options.age_band.map((option) => option.value)).toEqual(["10代", "20代"]);
      expect(options.interests.find((option) => option.value === "disaster")?.label).toBe("防災");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
