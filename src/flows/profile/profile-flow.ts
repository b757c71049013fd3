import { textWithMenu } from "../../events/replies.js";
import { foldKana } from "../../intents/normalize.js";
import { requestRichMenu } from "../../richmenu/user-menu-links.js";
import type { BotTexts } from "../../seeds/bot-texts.js";
import { deleteProfile, loadProfile, saveProfile, type ProfileChange, type ResidentProfile } from "../../store/resident-profiles.js";
import type { Flow, FlowContext, FlowInput, FlowOutcome, FlowState } from "../flow.js";
import type { PostbackData } from "../postback-data.js";
import { deleteQuestion, fieldQuestion, FIELDS, FLOW, menuMessage, townCandidates, townNotFound, townPage, type ProfileField } from "./profile-messages.js";
import type { ProfileSeeds } from "./profile-seeds.js";
import { matchTowns, type TownEntry } from "./town-match.js";

// 受信設定 (issue 7): a resident registers, views, changes or deletes what notices should fit:
// where they live (in the city or elsewhere), 校区, 町内, age band and interests, each optional.
// The first time, the fields are asked one by one (each can be skipped); afterwards the profile
// is shown with a button per field. Every answer is saved at once, and the rich menu follows it:
// someone living elsewhere or interested in moving gets the relocation menu.
interface ProfileDraft {
  // walk: the first registration, field after field; edit: one field, then back to the profile.
  mode: "walk" | "edit";
  // Interests ticked so far on the multi-select question.
  picked?: string[];
}

type Answer =
  | { kind: "edit"; field: ProfileField }
  | { kind: "about" | "delete" | "delete_yes" | "delete_no" | "close" | "done" }
  | { kind: "set"; field: ProfileField; value: string; town?: TownEntry }
  | { kind: "skip"; field: ProfileField }
  | { kind: "toggle"; code: string }
  | { kind: "town_page"; page: number }
  | { kind: "town_typed"; text: string; candidates: TownEntry[] };

const isField = (value: string): value is ProfileField => (FIELDS as readonly string[]).includes(value);

export function profileFlow(seeds: ProfileSeeds, botTexts: BotTexts): Flow {
  const { texts, lists } = seeds;
  const residenceCodes = ["city", "outside"] as const;

  const fromPostback = ({ action, argument }: PostbackData): Answer | null => {
    const [first = "", second = ""] = argument.split(":");
    switch (action) {
      case "edit":
      case "skip":
        return isField(first) ? { kind: action, field: first } : null;
      case "about":
      case "delete":
      case "delete_yes":
      case "delete_no":
      case "close":
      case "done":
        return { kind: action };
      case "toggle": {
        const interest = lists.interests[Number(first)];
        return interest ? { kind: "toggle", code: interest.code } : null;
      }
      case "town_page":
        return Number.isInteger(Number(first)) && Number(first) >= 0 ? { kind: "town_page", page: Number(first) } : null;
      case "set":
        return isField(first) ? valueAt(first, Number(second)) : null;
      default:
        return null;
    }
  };

  // The stored value of the index-th choice of a field (a postback names choices by position).
  const valueAt = (field: ProfileField, index: number): Answer | null => {
    const value =
      field === "residence" ? residenceCodes[index] : field === "school_district" ? lists.school_districts[index] : field === "age_band" ? lists.age_bands[index]?.code : undefined;
    if (field === "town") {
      const town = lists.towns[index];
      return town ? { kind: "set", field, value: town.name, town } : null;
    }
    return value === undefined ? null : { kind: "set", field, value };
  };

  // Typed text at a step: one of that step's buttons, by its label, or a 町内 name.
  const fromText = (step: string, raw: string): Answer | null => {
    const text = raw.trim();
    const byLabel = (labels: readonly string[], make: (index: number) => Answer | null) => {
      const index = labels.indexOf(text);
      return index >= 0 ? make(index) : null;
    };
    if (step === "menu") {
      const menu = texts.menu;
      const field = FIELDS.find((candidate) => menu[candidate === "school_district" ? "district" : candidate] === text);
      if (field) return { kind: "edit", field };
      if (asksDeletion(text)) return { kind: "delete" };
      return byLabel([menu.about, menu.delete, menu.close], (index) => ({ kind: (["about", "delete", "close"] as const)[index]! }));
    }
    if (step === "delete") return byLabel([texts.delete.yes, texts.delete.no], (index) => ({ kind: index === 0 ? "delete_yes" : "delete_no" }));
    if (!isField(step)) return null;
    if (text === texts.skip) return { kind: "skip", field: step };
    switch (step) {
      case "residence":
        return byLabel([texts.residence.city, texts.residence.outside], (index) => valueAt(step, index));
      case "school_district":
        return byLabel(lists.school_districts, (index) => valueAt(step, index)) ?? byLabel(lists.school_districts.map((name) => name.replace(/校区$/, "")), (index) => valueAt(step, index));
      case "age_band":
        return byLabel(lists.age_bands.map((band) => band.label), (index) => valueAt(step, index));
      case "interests": {
        if (text === texts.interests.done) return { kind: "done" };
        const interest = lists.interests.find((candidate) => candidate.label === text.replace(/^✓\s*/, ""));
        return interest ? { kind: "toggle", code: interest.code } : null;
      }
      case "town": {
        if (text === texts.town.list) return { kind: "town_page", page: 0 };
        const candidates = matchTowns(text, lists.towns);
        return candidates.length > 0 ? { kind: "town_typed", text, candidates } : null;
      }
    }
  };

  const deletionWords = texts.delete.words.map((word) => foldKana(word.normalize("NFKC")));
  const asksDeletion = (text: string) => deletionWords.some((word) => foldKana(text.normalize("NFKC")).includes(word));

  // The first registration asks every field that applies, in order.
  const walkFields = (profile: ResidentProfile | null): ProfileField[] =>
    FIELDS.filter((field) => profile?.residence !== "outside" || (field !== "school_district" && field !== "town"));

  const ask = (field: ProfileField, draft: ProfileDraft, profile: ResidentProfile | null, note: string | null = null): FlowOutcome => {
    const fields = walkFields(profile);
    const progress = draft.mode === "walk" ? texts.progress.replace("{number}", String(fields.indexOf(field) + 1)).replace("{count}", String(fields.length)) : null;
    const lead = [note, progress].filter((part) => part !== null).join("\n") || null;
    return { messages: [fieldQuestion(seeds, field, profile, draft.picked ?? [], lead)], state: { step: field, data: { ...draft } } };
  };

  const showProfile = (profile: ResidentProfile | null, lead: string | null): FlowOutcome => ({
    messages: [menuMessage(seeds, profile, lead)],
    state: { step: "menu", data: { mode: "edit" } },
  });

  // After a field: the next one of the first registration, or back to the profile.
  const next = (after: ProfileField, draft: ProfileDraft, profile: ResidentProfile | null, note: string | null): FlowOutcome => {
    if (draft.mode === "walk") {
      const fields = walkFields(profile);
      const following = fields.slice(fields.indexOf(after) + 1)[0];
      if (following) return ask(following, { mode: "walk", ...(following === "interests" ? { picked: profile?.interests ?? [] } : {}) }, profile, note);
    }
    return showProfile(profile, [profile ? texts.saved : null, note].filter((part) => part !== null).join("\n") || null);
  };

  const save = async (context: FlowContext, change: ProfileChange): Promise<ResidentProfile> => {
    const profile = await saveProfile(context.trx, context.userId, change, context.at);
    const wantsRelocation = profile.residence === "outside" || profile.interests.includes("relocation");
    await requestRichMenu(context.trx, context.userId, wantsRelocation ? lists.relocation_menu_alias : null, context.at);
    return profile;
  };

  const open = async (context: FlowContext): Promise<FlowOutcome> => {
    const profile = await loadProfile(context.trx, context.userId);
    if (profile) return showProfile(profile, null);
    const first = ask("residence", { mode: "walk" }, null);
    return { messages: [{ type: "text", text: `${texts.intro}\n\n${lists.statement}` }, ...first.messages], state: first.state };
  };

  return {
    name: FLOW,
    title: "受信設定",
    // Choosing which notices to receive is not an administrative procedure (行政手続き).
    procedures: [],
    recognizes: (step, text) => fromText(step, text) !== null,
    lingers: (step) => step === "menu",
    // 「受信設定を削除」 goes straight to the confirmation; anything else shows the profile.
    async fromIntent(context, understood) {
      if (!asksDeletion(understood.normalized)) return open(context);
      const profile = await loadProfile(context.trx, context.userId);
      if (!profile) return { messages: [textWithMenu(texts.delete.nothing, botTexts)], state: null };
      return { messages: [deleteQuestion(seeds)], state: { step: "delete", data: { mode: "edit" } } };
    },
    start: open,
    async handle(context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
      const draft: ProfileDraft = { mode: state.data.mode === "walk" ? "walk" : "edit", picked: Array.isArray(state.data.picked) ? (state.data.picked as string[]) : [] };
      const answer = input.kind === "postback" ? fromPostback(input.postback) : input.kind === "text" ? fromText(state.step, input.text) : null;
      const profile = await loadProfile(context.trx, context.userId);
      const field = isField(state.step) ? state.step : null;
      // An answer that does not fit this step (a button from an older message): the step again.
      const reask = (): FlowOutcome =>
        field ? ask(field, draft, profile) : state.step === "delete" ? { messages: [deleteQuestion(seeds)], state } : showProfile(profile, null);
      if (!answer) {
        if (field === "town" && input.kind === "text") return { messages: [townNotFound(seeds, input.text.trim())], state };
        return reask();
      }
      switch (answer.kind) {
        case "edit":
          return ask(answer.field, { mode: "edit", picked: answer.field === "interests" ? (profile?.interests ?? []) : [] }, profile);
        case "about":
          return showProfile(profile, lists.statement);
        case "close":
          return { messages: [textWithMenu(texts.closed, botTexts)], state: null };
        case "delete":
          if (!profile) return { messages: [textWithMenu(texts.delete.nothing, botTexts)], state: null };
          return { messages: [deleteQuestion(seeds)], state: { step: "delete", data: { mode: "edit" } } };
        case "delete_no":
          return showProfile(profile, null);
        case "delete_yes":
          if (state.step !== "delete") return reask();
          await deleteProfile(context.trx, context.userId);
          await requestRichMenu(context.trx, context.userId, null, context.at);
          return { messages: [textWithMenu(texts.delete.done, botTexts)], state: null };
        case "town_page":
          if (field !== "town") return reask();
          return { messages: [townPage(seeds, answer.page)], state };
        case "town_typed":
          if (answer.candidates.length > 1) return { messages: [townCandidates(seeds, answer.text, answer.candidates)], state };
          return setField(context, draft, "town", answer.candidates[0]!.name, answer.candidates[0]);
        case "toggle": {
          if (field !== "interests") return reask();
          const picked = draft.picked ?? [];
          const toggled = picked.includes(answer.code) ? picked.filter((code) => code !== answer.code) : [...picked, answer.code];
          // Kept in the seeds' order, whatever order they were tapped in.
          const ordered = lists.interests.map((interest) => interest.code).filter((code) => toggled.includes(code));
          return ask("interests", { ...draft, picked: ordered }, profile);
        }
        case "done": {
          if (field !== "interests") return reask();
          const saved = await save(context, { interests: draft.picked ?? [] });
          return next("interests", draft, saved, null);
        }
        case "set":
          if (answer.field !== field) return reask();
          return setField(context, draft, answer.field, answer.value, answer.town);
        case "skip": {
          if (answer.field !== field) return reask();
          // Skipping leaves the field empty: in the first registration nothing is written; when
          // changing, the earlier answer is removed.
          const cleared = draft.mode === "edit" && profile ? await save(context, { [field]: field === "interests" ? [] : null }) : profile;
          return next(field, draft, cleared, null);
        }
      }
    },
  };

  async function setField(context: FlowContext, draft: ProfileDraft, field: ProfileField, value: string, town?: TownEntry): Promise<FlowOutcome> {
    const change: ProfileChange =
      field === "residence"
        ? { residence: value as "city" | "outside" }
        : field === "town"
          ? { town: value, ...(town?.district ? { school_district: town.district } : {}) }
          : { [field]: value };
    const saved = await save(context, change);
    return next(field, draft, saved, field === "residence" && value === "outside" ? texts.outside_note : null);
  }
}
