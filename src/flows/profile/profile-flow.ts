import { requestRichMenu } from "../../richmenu/user-menu-links.js";
import type { BotTexts } from "../../seeds/bot-texts.js";
import { deleteProfile, loadProfile, saveProfile, type ProfileChange, type ResidentProfile } from "../../store/resident-profiles.js";
import type { Flow, FlowContext, FlowInput, FlowOutcome, FlowState } from "../flow.js";
import { textWithMenu } from "../replies.js";
import { answerFromPostback, answerFromText, asksDeletion, isField, type ProfileAnswer } from "./profile-answers.js";
import { deleteQuestion, fieldQuestion, FIELDS, FLOW, menuMessage, townCandidates, townNotFound, townPage, type ProfileField } from "./profile-messages.js";
import type { ProfileSeeds } from "./profile-seeds.js";
import type { TownEntry } from "./town-match.js";

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

interface ProfileSetup {
  seeds: ProfileSeeds;
  botTexts: BotTexts;
}

// One step: the answer read from the input, with the resident's draft and saved profile.
interface ProfileTurn {
  setup: ProfileSetup;
  context: FlowContext;
  state: FlowState;
  draft: ProfileDraft;
  profile: ResidentProfile | null;
  field: ProfileField | null;
}

export function profileFlow(seeds: ProfileSeeds, botTexts: BotTexts): Flow {
  const setup: ProfileSetup = { seeds, botTexts };
  return {
    name: FLOW,
    title: "受信設定",
    // Choosing which notices to receive is not an administrative procedure (行政手続き).
    procedures: [],
    recognizes: (step, text) => answerFromText(seeds, step, text) !== null,
    lingers: (step) => step === "menu",
    fromIntent: (context, understood) => profileFromIntent(setup, context, understood.normalized),
    start: (context) => openProfile(setup, context),
    handle: (context, state, input) => handleProfile(setup, context, state, input),
  };
}

// 「受信設定を削除」 goes straight to the confirmation; anything else shows the profile.
async function profileFromIntent(setup: ProfileSetup, context: FlowContext, normalized: string): Promise<FlowOutcome> {
  if (!asksDeletion(setup.seeds, normalized)) return openProfile(setup, context);
  const profile = await loadProfile(context.trx, context.userId);
  return askDeletion(setup, profile);
}

async function openProfile(setup: ProfileSetup, context: FlowContext): Promise<FlowOutcome> {
  const { texts, lists } = setup.seeds;
  const profile = await loadProfile(context.trx, context.userId);
  if (profile) return showProfile(setup, profile, null);
  const first = ask(setup, "residence", { mode: "walk" }, null);
  return { messages: [{ type: "text", text: `${texts.intro}\n\n${lists.statement}` }, ...first.messages], state: first.state };
}

async function handleProfile(setup: ProfileSetup, context: FlowContext, state: FlowState, input: FlowInput): Promise<FlowOutcome> {
  const { seeds } = setup;
  const draft: ProfileDraft = { mode: state.data.mode === "walk" ? "walk" : "edit", picked: Array.isArray(state.data.picked) ? (state.data.picked as string[]) : [] };
  const answer = input.kind === "postback" ? answerFromPostback(seeds, input.postback) : input.kind === "text" ? answerFromText(seeds, state.step, input.text) : null;
  const profile = await loadProfile(context.trx, context.userId);
  const turn: ProfileTurn = { setup, context, state, draft, profile, field: isField(state.step) ? state.step : null };
  if (answer) return applyAnswer(turn, answer);
  if (turn.field === "town" && input.kind === "text") return { messages: [townNotFound(seeds, input.text.trim())], state };
  return reask(turn);
}

async function applyAnswer(turn: ProfileTurn, answer: ProfileAnswer): Promise<FlowOutcome> {
  const { setup, context, state, draft, profile, field } = turn;
  const { texts, lists } = setup.seeds;
  switch (answer.kind) {
    case "edit":
      return ask(setup, answer.field, { mode: "edit", picked: answer.field === "interests" ? (profile?.interests ?? []) : [] }, profile);
    case "about":
      return showProfile(setup, profile, lists.statement);
    case "close":
      return { messages: [textWithMenu(texts.closed, setup.botTexts)], state: null };
    case "delete":
      return askDeletion(setup, profile);
    case "delete_no":
      return showProfile(setup, profile, null);
    case "delete_yes":
      return state.step === "delete" ? deleteAll(setup, context) : reask(turn);
    case "town_page":
      return field === "town" ? { messages: [townPage(setup.seeds, answer.page)], state } : reask(turn);
    case "town_typed":
      if (answer.candidates.length > 1) return { messages: [townCandidates(setup.seeds, answer.text, answer.candidates)], state };
      return setField(turn, "town", answer.candidates[0]!.name, answer.candidates[0]);
    case "toggle":
      return field === "interests" ? toggleInterest(turn, answer.code) : reask(turn);
    case "done":
      return field === "interests" ? next(setup, "interests", draft, await save(setup, context, { interests: draft.picked ?? [] }), null) : reask(turn);
    case "set":
      return answer.field === field ? setField(turn, answer.field, answer.value, answer.town) : reask(turn);
    case "skip":
      return answer.field === field ? skipField(turn, answer.field) : reask(turn);
  }
}

// An answer that does not fit this step (a button from an older message): the step again.
function reask({ setup, state, draft, profile, field }: ProfileTurn): FlowOutcome {
  if (field) return ask(setup, field, draft, profile);
  return state.step === "delete" ? { messages: [deleteQuestion(setup.seeds)], state } : showProfile(setup, profile, null);
}

function askDeletion(setup: ProfileSetup, profile: ResidentProfile | null): FlowOutcome {
  if (!profile) return { messages: [textWithMenu(setup.seeds.texts.delete.nothing, setup.botTexts)], state: null };
  return { messages: [deleteQuestion(setup.seeds)], state: { step: "delete", data: { mode: "edit" } } };
}

async function deleteAll(setup: ProfileSetup, context: FlowContext): Promise<FlowOutcome> {
  await deleteProfile(context.trx, context.userId);
  await requestRichMenu(context.trx, context.userId, null, context.at);
  return { messages: [textWithMenu(setup.seeds.texts.delete.done, setup.botTexts)], state: null };
}

function toggleInterest({ setup, draft, profile }: ProfileTurn, code: string): FlowOutcome {
  const picked = draft.picked ?? [];
  const toggled = picked.includes(code) ? picked.filter((other) => other !== code) : [...picked, code];
  // Kept in the seeds' order, whatever order they were tapped in.
  const ordered = setup.seeds.lists.interests.map((interest) => interest.code).filter((other) => toggled.includes(other));
  return ask(setup, "interests", { ...draft, picked: ordered }, profile);
}

// Skipping leaves the field empty: in the first registration nothing is written; when changing,
// the earlier answer is removed.
async function skipField({ setup, context, draft, profile }: ProfileTurn, field: ProfileField): Promise<FlowOutcome> {
  const cleared = draft.mode === "edit" && profile ? await save(setup, context, { [field]: field === "interests" ? [] : null }) : profile;
  return next(setup, field, draft, cleared, null);
}

async function setField({ setup, context, draft }: ProfileTurn, field: ProfileField, value: string, town?: TownEntry): Promise<FlowOutcome> {
  const change: ProfileChange =
    field === "residence"
      ? { residence: value as "city" | "outside" }
      : field === "town"
        ? { town: value, ...(town?.district ? { school_district: town.district } : {}) }
        : { [field]: value };
  const saved = await save(setup, context, change);
  return next(setup, field, draft, saved, field === "residence" && value === "outside" ? setup.seeds.texts.outside_note : null);
}

// Every answer is saved at once, and the rich menu follows the profile.
async function save(setup: ProfileSetup, context: FlowContext, change: ProfileChange): Promise<ResidentProfile> {
  const profile = await saveProfile(context.trx, context.userId, change, context.at);
  const wantsRelocation = profile.residence === "outside" || profile.interests.includes("relocation");
  await requestRichMenu(context.trx, context.userId, wantsRelocation ? setup.seeds.lists.relocation_menu_alias : null, context.at);
  return profile;
}

// The first registration asks every field that applies, in order.
function walkFields(profile: ResidentProfile | null): ProfileField[] {
  return FIELDS.filter((field) => profile?.residence !== "outside" || (field !== "school_district" && field !== "town"));
}

function ask(setup: ProfileSetup, field: ProfileField, draft: ProfileDraft, profile: ResidentProfile | null, note: string | null = null): FlowOutcome {
  const { texts } = setup.seeds;
  const fields = walkFields(profile);
  const progress = draft.mode === "walk" ? texts.progress.replace("{number}", String(fields.indexOf(field) + 1)).replace("{count}", String(fields.length)) : null;
  const lead = [note, progress].filter((part) => part !== null).join("\n") || null;
  return { messages: [fieldQuestion(setup.seeds, field, profile, draft.picked ?? [], lead)], state: { step: field, data: { ...draft } } };
}

function showProfile(setup: ProfileSetup, profile: ResidentProfile | null, lead: string | null): FlowOutcome {
  return { messages: [menuMessage(setup.seeds, profile, lead)], state: { step: "menu", data: { mode: "edit" } } };
}

// After a field: the next one of the first registration, or back to the profile.
function next(setup: ProfileSetup, after: ProfileField, draft: ProfileDraft, profile: ResidentProfile | null, note: string | null): FlowOutcome {
  if (draft.mode === "walk") {
    const fields = walkFields(profile);
    const following = fields.slice(fields.indexOf(after) + 1)[0];
    if (following) return ask(setup, following, { mode: "walk", ...(following === "interests" ? { picked: profile?.interests ?? [] } : {}) }, profile, note);
  }
  return showProfile(setup, profile, [profile ? setup.seeds.texts.saved : null, note].filter((part) => part !== null).join("\n") || null);
}
